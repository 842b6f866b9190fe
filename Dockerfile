FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml setup.py README.md ./
COPY shared ./shared
COPY services ./services
RUN pip install . && useradd --system --home /app intervisie
USER intervisie

EXPOSE 8000
CMD ["gunicorn", "--bind=0.0.0.0:8000", "--workers=4", "--logger-class=services.api.redaction.RedactingGunicornLogger", "services.api.wsgi:app"]
