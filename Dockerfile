# One image for every process: web (gunicorn), worker and beat (celery); see docker-compose.yml.
FROM python:3.11-slim

# Production by default: DEBUG off, and no start without DJANGO_SECRET_KEY.
ENV DEBUG=0 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Static files are collected at build time and served by whitenoise from the image.
# collectstatic needs settings to load, not the real secret: a throwaway key does.
RUN DEBUG=0 DJANGO_SECRET_KEY=collectstatic-only VAR_DIR=/tmp/build-var \
    python manage.py collectstatic --noinput \
 && rm -rf /tmp/build-var

# A user without a home, shell or write access to the code.
RUN useradd --system --no-create-home --shell /usr/sbin/nologin app \
 && mkdir -p /app/var && chown app /app/var
USER app

EXPOSE 8000
CMD ["gunicorn", "registry_ui.wsgi"]
