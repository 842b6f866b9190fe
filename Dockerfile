FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
# Each process writes its Prometheus counts here and /metrics sums them (gunicorn empties it at start).
ENV PROMETHEUS_MULTIPROC_DIR=/tmp/intervisie-metrics
WORKDIR /app

COPY requirements.lock ./
RUN pip install -r requirements.lock
COPY pyproject.toml setup.py README.md ./
COPY shared ./shared
COPY services ./services
RUN pip install --no-deps . && useradd --system --home /app intervisie
USER intervisie

EXPOSE 8000
# gthread workers sized for the cores, JSON access log with tokens redacted: see the config.
CMD ["gunicorn", "-c", "python:services.api.gunicorn_config", "services.api.wsgi:app"]
