#!/usr/bin/env python3
"""Writes a tree shaped like real repositories for benches/scan_throughput.rs: PROJECT_COUNT
projects, each an azd-style repository with many infrastructure files of which few mention
PostgreSQL. Every project has Bicep (main + a dozen `core/` modules: storage, key vault, log
analytics, app service plan, container registry, ...), Terraform modules (network, storage,
monitoring), a compiled ARM template, GitHub workflows (build, test, deploy), Azure Pipelines,
shell and PowerShell scripts, a Dockerfile, and application code (Python, JavaScript) with tests
and docs. About one project in ten uses PostgreSQL: its Bicep has a Service Connector linker or
sets AZURE_POSTGRESQL_* app settings, its deploy script runs `az webapp connection create`, and
its code reads the variables. The rest never mention PostgreSQL.

usage: generate_iac_realistic.py OUT_DIR PROJECT_COUNT
"""
import json
import os
import random
import sys

out, count = sys.argv[1], int(sys.argv[2])
random.seed(1212)

CLIENTS = ["django", "python", "nodejs", "springBoot", "dotnet"]
AUTHS = ["secret", "systemAssignedIdentity", "userAssignedIdentity"]


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as f:
        f.write(text)


def bicep_module(kind, n_params):
    """A core/ module: parameters, one or two resources, outputs; no database."""
    params = "\n".join(f"param {kind}Setting{k} string = 'value{k}'" for k in range(n_params))
    return f"""metadata description = 'Creates the {kind} resources.'
param name string
param location string = resourceGroup().location
param tags object = {{}}
{params}

@description('The {kind} resource.')
resource main 'Microsoft.Resources/{kind}s@2023-01-01' = {{
  name: name
  location: location
  tags: tags
  properties: {{
    publicNetworkAccess: 'Disabled'
    minimumTlsVersion: 'TLS1_2'
    settings: [for i in range(0, 3): {{
      name: '${{name}}-${{i}}'
      enabled: true
    }}]
  }}
}}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {{
  name: 'diag-${{name}}'
  scope: main
  properties: {{
    logs: [{{ categoryGroup: 'allLogs', enabled: true }}]
    metrics: [{{ category: 'AllMetrics', enabled: true }}]
  }}
}}

output id string = main.id
output name string = main.name
"""


MODULES = ["storage", "keyvault", "loganalytics", "appinsights", "serviceplan", "registry",
           "identity", "vnet", "privateendpoint", "dashboard", "alerts", "redis"]

APPSERVICE = """param name string
param location string = resourceGroup().location
param tags object = {}
param appSettings object = {}
param runtime string = 'PYTHON|3.12'
param planId string

resource site 'Microsoft.Web/sites@2022-09-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    serverFarmId: planId
    siteConfig: { linuxFxVersion: runtime, alwaysOn: true, ftpsState: 'Disabled' }
    httpsOnly: true
  }
  resource config 'config' = {
    name: 'appsettings'
    properties: appSettings
  }
}

output name string = site.name
"""


def main_bicep(i, pg):
    modules = "\n".join(
        f"""module {m} './core/{m}.bicep' = {{
  name: '{m}'
  params: {{ name: '{m}-${{resourceToken}}', location: location, tags: tags }}
}}
""" for m in MODULES)
    settings = "      REDIS_HOST: redis.outputs.name\n"
    linker = ""
    if pg == "settings":
        settings += "      AZURE_POSTGRESQL_HOST: 'psql-${resourceToken}.postgres.database.azure.com'\n" \
                    "      AZURE_POSTGRESQL_PASSWORD: dbPassword\n"
    elif pg == "linker":
        client, auth = random.choice(CLIENTS), random.choice(AUTHS)
        linker = f"""
resource site 'Microsoft.Web/sites@2022-09-01' existing = {{
  name: 'web-${{resourceToken}}'
}}

resource link 'Microsoft.ServiceLinker/linkers@2024-04-01' = {{
  name: 'db{i}'
  scope: site
  properties: {{
    clientType: '{client}'
    authInfo: {{ authType: '{auth}' }}
    targetService: {{ type: 'AzureResource', id: resourceId('Microsoft.DBforPostgreSQL/flexibleServers/databases', 'psql', 'app') }}
  }}
}}
"""
    return f"""targetScope = 'resourceGroup'

@minLength(1)
param environmentName string
param location string = resourceGroup().location
@secure()
param dbPassword string = ''

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {{ 'azd-env-name': environmentName }}

{modules}
module web './core/host/appservice.bicep' = {{
  name: 'web'
  params: {{
    name: 'web-${{resourceToken}}'
    location: location
    planId: serviceplan.outputs.id
    tags: union(tags, {{ 'azd-service-name': 'web' }})
    appSettings: {{
{settings}      SCM_DO_BUILD_DURING_DEPLOYMENT: 'true'
    }}
  }}
}}
{linker}
output AZURE_LOCATION string = location
"""


TF_MODULE = """variable "name" {{ type = string }}
variable "location" {{
  type    = string
  default = "westeurope"
}}
variable "tags" {{
  type    = map(string)
  default = {{}}
}}

resource "azurerm_{kind}" "main" {{
  name                = var.name
  location            = var.location
  resource_group_name = "rg-${{var.name}}"
  tags                = var.tags
  dynamic "rule" {{
    for_each = range(3)
    content {{
      name    = "rule-${{rule.value}}"
      enabled = true
    }}
  }}
}}

output "id" {{ value = azurerm_{kind}.main.id }}
"""

TF_APP = """resource "azurerm_linux_web_app" "web" {{
  name                = "web-${{var.name}}"
  resource_group_name = "rg-${{var.name}}"
  location            = var.location
  service_plan_id     = var.plan_id
  site_config {{}}
  app_settings = {{
    WEBSITES_PORT = "8000"{extra}
  }}
}}
{connection}"""

TF_CONNECTION = """
resource "azurerm_app_service_connection" "db" {
  name               = "db"
  app_service_id     = azurerm_linux_web_app.web.id
  target_resource_id = azurerm_postgresql_flexible_server_database.app.id
  client_type        = "nodejs"
  authentication {
    type = "systemAssignedIdentity"
  }
}
"""

WORKFLOW_BUILD = """name: build
on:
  push: {{ branches: [main] }}
  pull_request:
jobs:
  build:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python-version: ["3.11", "3.12"]
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: ${{{{ matrix.python-version }}}}
      - run: |
          python -m pip install --upgrade pip
          pip install -r requirements-dev.txt
      - run: ruff check .
      - run: python -m pytest -q tests/
      - run: docker build -t web{i} .
"""

WORKFLOW_DEPLOY = """name: deploy
on:
  workflow_dispatch:
  push: {{ branches: [main] }}
permissions:
  id-token: write
  contents: read
jobs:
  deploy:
    runs-on: ubuntu-latest
    env:
      AZURE_CLIENT_ID: ${{{{ vars.AZURE_CLIENT_ID }}}}
      AZURE_TENANT_ID: ${{{{ vars.AZURE_TENANT_ID }}}}
    steps:
      - uses: actions/checkout@v4
      - uses: Azure/setup-azd@v1.0.0
      - run: azd auth login --client-id "$AZURE_CLIENT_ID" --federated-credential-provider github --tenant-id "$AZURE_TENANT_ID"
      - run: azd provision --no-prompt
      - run: azd deploy --no-prompt{connect}
"""

PIPELINE = """trigger: [main]
pool: {{ vmImage: ubuntu-latest }}
variables:
  - group: web{i}
stages:
- stage: build
  jobs:
  - job: test
    steps:
    - task: UsePythonVersion@0
      inputs: {{ versionSpec: '3.12' }}
    - script: pip install -r requirements.txt && python -m pytest
- stage: deploy
  jobs:
  - job: deploy
    steps:
    - task: AzureCLI@2
      inputs:
        azureSubscription: prod
        scriptType: bash
        scriptLocation: inlineScript
        inlineScript: |
          az webapp deploy --resource-group rg-web{i} --name web{i} --src-path app.zip
"""

SH = """#!/usr/bin/env bash
set -euo pipefail
RG="rg-web{i}"
az group create --name "$RG" --location westeurope
az deployment group create --resource-group "$RG" --template-file infra/main.json
az webapp config appsettings set --resource-group "$RG" --name web{i} --settings WEBSITES_PORT=8000
{connect}"""

PS1 = """param([string]$ResourceGroup = 'rg-web{i}')
$ErrorActionPreference = 'Stop'
az group create --name $ResourceGroup --location westeurope
az deployment group create --resource-group $ResourceGroup `
  --template-file infra/main.json
"""

DOCKERFILE = """FROM python:3.12-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]
"""

APP_PLAIN = """import os

from flask import Flask, jsonify

app = Flask(__name__)
CACHE_HOST = os.environ.get("REDIS_HOST", "localhost")


@app.route("/health")
def health():
    return jsonify(status="ok", cache=CACHE_HOST)


@app.route("/items/<int:item_id>")
def item(item_id):
    return jsonify(id=item_id, name=f"item {{item_id}}")
"""

APP_PG = """import os

import psycopg2
from flask import Flask, jsonify

app = Flask(__name__)


def connect():
    return psycopg2.connect(
        host=os.environ["AZURE_POSTGRESQL_HOST"],
        dbname=os.environ["AZURE_POSTGRESQL_NAME"],
        user=os.environ["AZURE_POSTGRESQL_USER"],
        password=os.environ["AZURE_POSTGRESQL_PASSWORD"],
        sslmode="require",
    )


@app.route("/health")
def health():
    with connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT 1")
        return jsonify(status="ok")
"""

JS = """const express = require("express");
const app = express();
const port = process.env.PORT || 3000;

app.get("/health", (req, res) => res.json({{ status: "ok", project: {i} }}));
app.get("/items/:id", (req, res) => res.json({{ id: Number(req.params.id) }}));

app.listen(port, () => console.log(`listening on ${{port}}`));
"""

TEST = """from app import app


def test_health():
    client = app.test_client()
    assert client.get("/health").status_code == 200
"""

README = """# web{i}

A sample web app deployed with `azd up`. Infrastructure lives in `infra/` (Bicep) and
`terraform/` (an alternative), CI in `.github/workflows`.

## Run locally

    pip install -r requirements.txt
    flask run
"""


def arm_template(i, pg):
    resources = []
    for n in range(30):
        resources.append({
            "type": "Microsoft.Storage/storageAccounts",
            "apiVersion": "2023-01-01",
            "name": f"[format('st{i}{n}{{0}}', uniqueString(resourceGroup().id))]",
            "location": "[parameters('location')]",
            "sku": {"name": "Standard_LRS"},
            "kind": "StorageV2",
            "properties": {"minimumTlsVersion": "TLS1_2", "supportsHttpsTrafficOnly": True},
        })
    settings = [{"name": "WEBSITES_PORT", "value": "8000"}]
    if pg:
        settings.append({"name": "AZURE_POSTGRESQL_PASSWORD", "value": "[parameters('dbPassword')]"})
    resources.append({
        "type": "Microsoft.Web/sites",
        "apiVersion": "2022-09-01",
        "name": "[parameters('siteName')]",
        "tags": {"azd-service-name": "web"},
        "properties": {"siteConfig": {"appSettings": settings}},
    })
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "metadata": {"_generator": {"name": "bicep", "version": "0.24.24.22086"}},
        "parameters": {
            "location": {"type": "string", "defaultValue": "[resourceGroup().location]"},
            "siteName": {"type": "string", "defaultValue": f"web{i}"},
            "dbPassword": {"type": "securestring"},
        },
        "resources": resources,
    }


files = 0
for i in range(count):
    base = os.path.join(out, f"project{i}")
    # One project in ten uses PostgreSQL, declared in one of three ways.
    pg = None if i % 10 else ["linker", "settings", "script"][(i // 10) % 3]

    def put(rel, text):
        global files
        files += 1
        write(os.path.join(base, rel), text)

    put("azure.yaml", f"name: web{i}\nservices:\n  web:\n    project: .\n    language: py\n    host: appservice\n")
    put("infra/main.bicep", main_bicep(i, pg))
    put("infra/main.parameters.json", json.dumps({"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", "contentVersion": "1.0.0.0", "parameters": {"environmentName": {"value": "${AZURE_ENV_NAME}"}}}, indent=2))
    put("infra/core/host/appservice.bicep", APPSERVICE)
    for m in MODULES:
        put(f"infra/core/{m}.bicep", bicep_module(m, random.randint(2, 12)))
    put("infra/main.json", json.dumps(arm_template(i, pg == "settings"), indent=2))
    for kind in ["virtual_network", "storage_account", "log_analytics_workspace", "key_vault"]:
        put(f"terraform/modules/{kind}/main.tf", TF_MODULE.format(kind=kind))
    extra = "\n    AZURE_POSTGRESQL_HOST = \"psql.postgres.database.azure.com\"" if pg == "settings" else ""
    put("terraform/main.tf", TF_APP.format(extra=extra, connection=TF_CONNECTION if pg == "linker" else ""))
    put("terraform/variables.tf", 'variable "name" { type = string }\nvariable "location" { type = string }\nvariable "plan_id" { type = string }\n')
    put(".github/workflows/build.yml", WORKFLOW_BUILD.format(i=i))
    connect = ""
    if pg == "script":
        connect = "\n      - run: >\n          az webapp connection create postgres-flexible --connection db\n          --name web --client-type python --system-identity"
    put(".github/workflows/deploy.yml", WORKFLOW_DEPLOY.format(connect=connect))
    put("azure-pipelines.yml", PIPELINE.format(i=i))
    sh_connect = ""
    if pg == "script":
        sh_connect = "az webapp connection create postgres-flexible --connection db --name web{i} \\\n  --target-resource-group \"$RG\" --server psql --database app --client-type python --system-identity\n".format(i=i)
    put("scripts/deploy.sh", SH.format(i=i, connect=sh_connect))
    put("scripts/deploy.ps1", PS1.format(i=i).replace("\n", "\r\n"))
    put("Dockerfile", DOCKERFILE)
    put("app.py", (APP_PG if pg else APP_PLAIN).format(i=i))
    put("static/app.js", JS.format(i=i))
    put("tests/test_app.py", TEST)
    put("requirements.txt", "flask\ngunicorn\n" + ("psycopg2-binary\n" if pg else ""))
    put("README.md", README.format(i=i))

print(f"{files} files in {count} projects under {out}")
