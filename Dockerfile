# The service on its embedded SQLite (a volume at /app/var) or on PostgreSQL
# (CRRF_DATABASE_URL=postgresql+psycopg://…). Migrations run, then the server starts.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CRRF_HOST=0.0.0.0 \
    CRRF_PORT=8000

WORKDIR /app
RUN useradd --create-home --uid 10001 crrf

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY crrf_templates ./crrf_templates
RUN pip install --no-cache-dir -e . \
    && mkdir -p /app/var \
    && chown -R crrf:crrf /app/var

USER crrf
VOLUME ["/app/var"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["sh", "-c", "crrf db upgrade && exec crrf serve"]
