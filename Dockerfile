# Tollgate: one image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DEBUG=false \
    PORT=8000

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# collectstatic needs a SECRET_KEY to import settings; this throwaway one is never used at run time.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput -v 0 \
    && useradd --system --uid 10001 --home /app tollgate \
    && chown -R tollgate /app

USER tollgate
EXPOSE 8000
CMD ["sh", "-c", "python -m config.serve -b 0.0.0.0 -p ${PORT} config.asgi:application"]
