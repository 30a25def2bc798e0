# Read by the `flask` command only (gunicorn ignores it): developer defaults.
# Production sets IRFLOW_ENV=production, SECRET_KEY, PUBLIC_URL and DATABASE_URL in the real environment.
IRFLOW_ENV=development
