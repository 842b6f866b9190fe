"""Compiles the gettext catalogues (``shared/locale/*/LC_MESSAGES/*.po``) into ``.mo`` files
whenever the package is built or installed; everything else is declared in pyproject.toml.

The ``.mo`` files are build output and not committed. An editable install (``pip install -e``,
what ``make run`` and ``make test`` do) compiles them next to the ``.po`` files; a wheel gets
them in its build directory.
"""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

LOCALE = Path("shared") / "locale"


def compile_catalogues(source: Path, target: Path) -> list[str]:
    """Every ``.po`` under ``source`` compiled to the same place under ``target``; a fuzzy
    entry or a broken catalogue stops the build rather than shipping half a translation."""
    written = []
    for po in sorted(source.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle, abort_invalid=True)
        fuzzy = [message.id for message in catalog if message.id and message.fuzzy]
        if fuzzy:
            raise SystemExit(f"{po}: fuzzy entries must be checked before building: {fuzzy}")
        mo = target / po.relative_to(source).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with mo.open("wb") as handle:
            write_mo(handle, catalog)
        written.append(str(mo))
    return written


class build_py_with_catalogues(build_py):
    def run(self):
        super().run()
        if self.editable_mode:
            compile_catalogues(LOCALE, LOCALE)
        else:
            self._catalogues = compile_catalogues(LOCALE, Path(self.build_lib) / LOCALE)

    def get_outputs(self, include_bytecode=True):
        return super().get_outputs(include_bytecode) + getattr(self, "_catalogues", [])


setup(cmdclass={"build_py": build_py_with_catalogues})
