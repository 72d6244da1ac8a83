//! The language-server latency benchmarks' document: 10,000 lines of JavaScript with a
//! `process.env.NEON_POSTGRESQL_HOST` read on every 20th line (500 reads). Shared by
//! `lsp_latency` (over stdio) and `edit_breakdown` (the same edit, step by step).

pub fn big_js() -> String {
    let mut text = String::new();
    for line in 0..10_000 {
        if line % 20 == 0 {
            text.push_str(&format!(
                "const v{line} = process.env.NEON_POSTGRESQL_HOST; // reference\n"
            ));
        } else {
            text.push_str(&format!(
                "function f{line}(a, b) {{ return a * {line} + b; }}\n"
            ));
        }
    }
    text
}

/// The same in Python: 10,000 lines, a `os.environ["NEON_POSTGRESQL_HOST"]` read on every 20th
/// line (500 reads), two-line functions between.
#[allow(dead_code)]
pub fn big_py() -> String {
    let mut text = String::from("import os\n");
    let mut line = 1;
    while line < 10_000 {
        if line % 20 == 0 {
            text.push_str(&format!(
                "v{line} = os.environ[\"NEON_POSTGRESQL_HOST\"]  # reference\n"
            ));
            line += 1;
        } else {
            text.push_str(&format!("def f{line}(a, b):\n    return a * {line} + b\n"));
            line += 2;
        }
    }
    text
}

/// A realistic Express app file (about 300 lines): a pg pool from the Service Connector
/// variables, middleware, and CRUD routes.
#[allow(dead_code)]
pub fn express_app() -> String {
    let mut text = String::from(
        "'use strict';\n\
         const express = require('express');\n\
         const { Pool } = require('pg');\n\
         const morgan = require('morgan');\n\
         \n\
         const app = express();\n\
         app.use(express.json());\n\
         app.use(morgan('combined'));\n\
         \n\
         // Azure Service Connector injects the NEON_POSTGRESQL_* variables.\n\
         const pool = new Pool({\n\
         \x20 host: process.env.NEON_POSTGRESQL_HOST,\n\
         \x20 user: process.env.NEON_POSTGRESQL_USER,\n\
         \x20 password: process.env.NEON_POSTGRESQL_PASSWORD,\n\
         \x20 database: process.env.NEON_POSTGRESQL_DATABASE,\n\
         \x20 port: Number(process.env.NEON_POSTGRESQL_PORT || 5432),\n\
         \x20 ssl: { rejectUnauthorized: true },\n\
         });\n\
         \n\
         const isProduction = process.env.NODE_ENV === 'production';\n\
         \n\
         function asyncRoute(handler) {\n\
         \x20 return (req, res, next) => Promise.resolve(handler(req, res, next)).catch(next);\n\
         }\n\
         \n",
    );
    for entity in [
        "users",
        "orders",
        "products",
        "invoices",
        "customers",
        "payments",
        "reviews",
        "shipments",
        "coupons",
        "carts",
        "sessions",
        "tickets",
    ] {
        text.push_str(&format!(
            "// {entity}\n\
             app.get('/api/{entity}', asyncRoute(async (req, res) => {{\n\
             \x20 const limit = Math.min(Number(req.query.limit) || 50, 500);\n\
             \x20 const {{ rows }} = await pool.query('SELECT * FROM {entity} ORDER BY id LIMIT $1', [limit]);\n\
             \x20 res.json(rows);\n\
             }}));\n\
             \n\
             app.get('/api/{entity}/:id', asyncRoute(async (req, res) => {{\n\
             \x20 const {{ rows }} = await pool.query('SELECT * FROM {entity} WHERE id = $1', [req.params.id]);\n\
             \x20 if (rows.length === 0) {{\n\
             \x20   return res.status(404).json({{ error: 'not found' }});\n\
             \x20 }}\n\
             \x20 res.json(rows[0]);\n\
             }}));\n\
             \n\
             app.post('/api/{entity}', asyncRoute(async (req, res) => {{\n\
             \x20 const {{ rows }} = await pool.query('INSERT INTO {entity} (data) VALUES ($1) RETURNING *', [req.body]);\n\
             \x20 res.status(201).json(rows[0]);\n\
             }}));\n\
             \n\
             app.delete('/api/{entity}/:id', asyncRoute(async (req, res) => {{\n\
             \x20 await pool.query('DELETE FROM {entity} WHERE id = $1', [req.params.id]);\n\
             \x20 res.status(204).end();\n\
             }}));\n\
             \n"
        ));
    }
    text.push_str(
        "app.use((err, req, res, next) => {\n\
         \x20 console.error(err.stack);\n\
         \x20 res.status(500).json({ error: isProduction ? 'internal error' : err.message });\n\
         });\n\
         \n\
         const port = process.env.PORT || 3000;\n\
         app.listen(port, () => console.log(`listening on ${port}`));\n",
    );
    text
}

/// A realistic Django settings.py (about 300 lines): the database from the Service Connector
/// variables, the usual settings, a logging configuration and a production switch.
#[allow(dead_code)]
pub fn django_settings() -> String {
    let mut text = String::from(
        "\"\"\"Django settings for the shop project.\"\"\"\n\
         import os\n\
         from pathlib import Path\n\
         \n\
         BASE_DIR = Path(__file__).resolve().parent.parent\n\
         SECRET_KEY = os.environ.get(\"DJANGO_SECRET_KEY\", \"dev-only\")\n\
         DEBUG = os.environ.get(\"DJANGO_DEBUG\", \"0\") == \"1\"\n\
         ALLOWED_HOSTS = os.environ.get(\"ALLOWED_HOSTS\", \"localhost\").split(\",\")\n\
         \n\
         if \"WEBSITE_HOSTNAME\" in os.environ:\n\
         \x20   ALLOWED_HOSTS.append(os.environ[\"WEBSITE_HOSTNAME\"])\n\
         \x20   CSRF_TRUSTED_ORIGINS = [\"https://\" + os.environ[\"WEBSITE_HOSTNAME\"]]\n\
         \n\
         DATABASES = {\n\
         \x20   \"default\": {\n\
         \x20       \"ENGINE\": \"django.db.backends.postgresql\",\n\
         \x20       \"NAME\": os.environ[\"NEON_POSTGRESQL_NAME\"],\n\
         \x20       \"HOST\": os.environ[\"NEON_POSTGRESQL_HOST\"],\n\
         \x20       \"USER\": os.environ[\"NEON_POSTGRESQL_USER\"],\n\
         \x20       \"PASSWORD\": os.environ[\"NEON_POSTGRESQL_PASSWORD\"],\n\
         \x20       \"PORT\": os.environ.get(\"NEON_POSTGRESQL_PORT\", \"5432\"),\n\
         \x20       \"OPTIONS\": {\"sslmode\": os.environ.get(\"NEON_POSTGRESQL_SSL\", \"require\")},\n\
         \x20   }\n\
         }\n\
         \n\
         INSTALLED_APPS = [\n",
    );
    let apps = [
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "django.contrib.staticfiles",
        "rest_framework",
        "corsheaders",
        "shop.catalog",
        "shop.orders",
        "shop.payments",
        "shop.accounts",
        "shop.reviews",
        "shop.shipping",
        "shop.search",
        "shop.reports",
    ];
    for app in apps {
        text.push_str(&format!("    \"{app}\",\n"));
    }
    text.push_str(
        "]\n\
         \n\
         MIDDLEWARE = [\n\
         \x20   \"django.middleware.security.SecurityMiddleware\",\n\
         \x20   \"whitenoise.middleware.WhiteNoiseMiddleware\",\n\
         \x20   \"django.contrib.sessions.middleware.SessionMiddleware\",\n\
         \x20   \"corsheaders.middleware.CorsMiddleware\",\n\
         \x20   \"django.middleware.common.CommonMiddleware\",\n\
         \x20   \"django.middleware.csrf.CsrfViewMiddleware\",\n\
         \x20   \"django.contrib.auth.middleware.AuthenticationMiddleware\",\n\
         \x20   \"django.contrib.messages.middleware.MessageMiddleware\",\n\
         ]\n\
         \n\
         ROOT_URLCONF = \"shop.urls\"\n\
         WSGI_APPLICATION = \"shop.wsgi.application\"\n\
         \n\
         TEMPLATES = [\n\
         \x20   {\n\
         \x20       \"BACKEND\": \"django.template.backends.django.DjangoTemplates\",\n\
         \x20       \"DIRS\": [BASE_DIR / \"templates\"],\n\
         \x20       \"APP_DIRS\": True,\n\
         \x20       \"OPTIONS\": {\n\
         \x20           \"context_processors\": [\n\
         \x20               \"django.template.context_processors.request\",\n\
         \x20               \"django.contrib.auth.context_processors.auth\",\n\
         \x20               \"django.contrib.messages.context_processors.messages\",\n\
         \x20           ],\n\
         \x20       },\n\
         \x20   },\n\
         ]\n\
         \n\
         LOGGING = {\n\
         \x20   \"version\": 1,\n\
         \x20   \"disable_existing_loggers\": False,\n\
         \x20   \"handlers\": {\"console\": {\"class\": \"logging.StreamHandler\"}},\n\
         \x20   \"loggers\": {\n",
    );
    for logger in [
        "django",
        "django.request",
        "django.db.backends",
        "shop",
        "shop.catalog",
        "shop.orders",
        "shop.payments",
        "shop.accounts",
        "shop.reviews",
        "shop.shipping",
        "shop.search",
        "shop.reports",
        "celery",
        "urllib3",
        "botocore",
        "corsheaders",
    ] {
        text.push_str(&format!(
            "        \"{logger}\": {{\n\
             \x20           \"handlers\": [\"console\"],\n\
             \x20           \"level\": os.environ.get(\"LOG_LEVEL\", \"INFO\"),\n\
             \x20           \"propagate\": False,\n\
             \x20       }},\n"
        ));
    }
    text.push_str(
        "    },\n\
         }\n\
         \n\
         LANGUAGE_CODE = \"en-us\"\n\
         TIME_ZONE = \"UTC\"\n\
         USE_I18N = True\n\
         USE_TZ = True\n\
         STATIC_URL = \"static/\"\n\
         STATIC_ROOT = BASE_DIR / \"staticfiles\"\n\
         DEFAULT_AUTO_FIELD = \"django.db.models.BigAutoField\"\n\
         \n\
         REST_FRAMEWORK = {\n\
         \x20   \"DEFAULT_PAGINATION_CLASS\": \"rest_framework.pagination.PageNumberPagination\",\n\
         \x20   \"PAGE_SIZE\": 50,\n\
         }\n\
         \n\
         AUTH_PASSWORD_VALIDATORS = [\n\
         \x20   {\"NAME\": \"django.contrib.auth.password_validation.UserAttributeSimilarityValidator\"},\n\
         \x20   {\"NAME\": \"django.contrib.auth.password_validation.MinimumLengthValidator\"},\n\
         \x20   {\"NAME\": \"django.contrib.auth.password_validation.CommonPasswordValidator\"},\n\
         \x20   {\"NAME\": \"django.contrib.auth.password_validation.NumericPasswordValidator\"},\n\
         ]\n\
         \n\
         CELERY_BROKER_URL = os.environ.get(\"CELERY_BROKER_URL\", \"redis://localhost:6379/1\")\n\
         CELERY_RESULT_BACKEND = CELERY_BROKER_URL\n\
         CELERY_TASK_ALWAYS_EAGER = DEBUG\n\
         \n\
         CACHES = {\n\
         \x20   \"default\": {\n\
         \x20       \"BACKEND\": \"django.core.cache.backends.redis.RedisCache\",\n\
         \x20       \"LOCATION\": os.environ.get(\"REDIS_URL\", \"redis://localhost:6379\"),\n\
         \x20   }\n\
         }\n",
    );
    text
}
