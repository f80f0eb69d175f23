# One image for every ClinicBridge service; the compose file picks the app to serve.
# The embedded development database (SecantusDB, GPL-2.0) is not installed here.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY pyproject.toml constraints.txt README.md ./
COPY services ./services
COPY gateway ./gateway
COPY schemas ./schemas
COPY seed ./seed
# The confirmation PDF is set in Debian's Nanum fonts.
RUN apt-get update -q && apt-get install -y -q --no-install-recommends fonts-nanum && rm -rf /var/lib/apt/lists/*
RUN pip install -c constraints.txt . \
    && useradd --system --uid 10001 clinicbridge
USER clinicbridge

# Production by default: a service refuses to start without a SERVICE_TOKEN_SECRET of its own.
ENV CLINICBRIDGE_ENV=production BIND_HOST=0.0.0.0
EXPOSE 8000 8001 8002 8003 8004
CMD ["gunicorn", "-c", "services/common/gunicorn_config.py", "--bind", "0.0.0.0:8001", "services.catalogue.wsgi:app"]
