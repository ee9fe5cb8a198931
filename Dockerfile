# The service on its embedded SQLite (a volume at /app/var) or on PostgreSQL
# (CRRF_DATABASE_URL=postgresql+psycopg://…). The container serves; it does not migrate.
# Migrate first, once, with the same image (several replicas migrating at start would race):
#   docker run --rm -v crrf-data:/app/var crrf crrf db upgrade            # SQLite
#   docker run --rm -e CRRF_DATABASE_URL=… crrf crrf db upgrade           # PostgreSQL
# then start the replicas. See the README ("In a container").
# Trixie's postgresql-client (17) dumps servers from 9.2 to 17 for `crrf db backup`.
FROM python:3.11-slim-trixie

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CRRF_HOST=0.0.0.0 \
    CRRF_PORT=8000

RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 crrf

WORKDIR /app

# The runtime dependencies in a layer of their own: a change to the code does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Editable, so that the project's folders (templates, migrations, var) stay beside the code.
COPY README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY crrf_templates ./crrf_templates
RUN pip install --no-cache-dir --no-deps -e . \
    && mkdir -p /app/var \
    && chown -R crrf:crrf /app/var

USER crrf
VOLUME ["/app/var"]
EXPOSE 8000
# Healthy when ready (database reachable and migrated), on whatever CRRF_PORT says.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('CRRF_PORT', '8000'), timeout=4)"
CMD ["crrf", "serve"]
