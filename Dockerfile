FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 FTPORTAL_ENV=production
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir -e . || true
COPY . .
RUN pip install --no-cache-dir -e . \
 && SECRET_KEY=build ENCRYPTION_KEY=build DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    REDIS_URL=redis://localhost:6379/0 python manage.py collectstatic --noinput
RUN useradd --create-home portal && mkdir -p /data/media && chown -R portal /data
USER portal
EXPOSE 8000
CMD ["gunicorn", "ftportal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4"]
