#!/usr/bin/env python3
"""Writes an infrastructure-heavy tree for benches/scan_throughput.rs: APP_COUNT azd-style apps,
each with Bicep (main + modules), a compiled-size ARM template, Terraform, a shell and a
PowerShell deploy script, a GitHub workflow, an Azure Pipelines file, a Dockerfile, and the code
that reads the connection, plus one azure.yaml listing every app.

usage: generate_iac_tree.py OUT_DIR APP_COUNT
"""
import json
import os
import random
import sys

out, count = sys.argv[1], int(sys.argv[2])
random.seed(12)

CLIENTS = ["django", "python", "nodejs", "springBoot", "dotnet", "go", "none"]
AUTHS = ["secret", "systemAssignedIdentity", "userAssignedIdentity"]

MAIN_BICEP = """targetScope = 'resourceGroup'

@minLength(1)
param environmentName string
param location string = resourceGroup().location
@secure()
param dbPassword string
param clientType string = '{client}'

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {{ 'azd-env-name': environmentName }}

module web './core/host/appservice.bicep' = {{
  name: 'web-{i}'
  params: {{
    name: 'app-{i}-${{resourceToken}}'
    location: location
    tags: union(tags, {{ 'azd-service-name': 'app{i}' }})
    appSettings: {{
      AZURE_POSTGRESQL_PASSWORD: dbPassword
      SCM_DO_BUILD_DURING_DEPLOYMENT: 'true'
    }}
  }}
}}

resource site 'Microsoft.Web/sites@2022-09-01' existing = {{
  name: 'app-{i}-${{resourceToken}}'
}}

resource pg 'Microsoft.DBforPostgreSQL/flexibleServers@2023-06-01-preview' existing = {{
  name: 'psql-${{resourceToken}}'
}}

resource link 'Microsoft.ServiceLinker/linkers@2024-04-01' = {{
  name: 'db{i}'
  scope: site
  properties: {{
    clientType: clientType
    authInfo: {{ authType: '{auth}' }}
    targetService: {{ type: 'AzureResource', id: '${{pg.id}}/databases/app{i}' }}
    configurationInfo: {{ customizedKeys: {{ AZURE_POSTGRESQL_HOST: 'DB_HOST_{i}' }} }}
  }}
}}
"""

APPSERVICE_BICEP = """param name string
param location string = resourceGroup().location
param tags object = {}
param appSettings object = {}
param runtime string = 'PYTHON|3.12'

resource plan 'Microsoft.Web/serverfarms@2022-09-01' = {
  name: 'plan-${name}'
  location: location
  sku: { name: 'B1' }
  properties: { reserved: true }
}

resource site 'Microsoft.Web/sites@2022-09-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    serverFarmId: plan.id
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

TF_MAIN = """resource "azurerm_linux_web_app" "app{i}" {{
  name                = "app{i}-${{var.suffix}}"
  resource_group_name = var.resource_group
  location            = var.location
  service_plan_id     = var.plan_id
  tags                = {{ "azd-service-name" = "app{i}" }}
  site_config {{}}
  app_settings = {{
    WEBSITES_PORT = "8000"
  }}
}}

resource "azurerm_app_service_connection" "db{i}" {{
  name               = "db{i}"
  app_service_id     = azurerm_linux_web_app.app{i}.id
  target_resource_id = azurerm_postgresql_flexible_server_database.app{i}.id
  client_type        = var.client_type
  authentication {{
    type = "{tf_auth}"
  }}
}}
"""

TF_VARS = """variable "client_type" {{
  type    = string
  default = "{client}"
}}
variable "suffix" {{ type = string }}
variable "resource_group" {{ type = string }}
variable "location" {{
  type    = string
  default = "westeurope"
}}
variable "plan_id" {{ type = string }}
"""

SH = """#!/usr/bin/env bash
set -euo pipefail
az webapp connection create postgres-flexible \\
  --connection db{i} --name "app{i}-$SUFFIX" --resource-group "$RG" \\
  --target-resource-group "$RG" --server "psql-$SUFFIX" --database app{i} \\
  --client-type {client} --system-identity
"""

PS1 = """param([string]$Suffix, [string]$ResourceGroup)
$ErrorActionPreference = 'Stop'
az webapp connection create postgres-flexible `
  --connection db{i} --name "app{i}-$Suffix" --resource-group $ResourceGroup `
  --target-resource-group $ResourceGroup --server "psql-$Suffix" --database app{i} `
  --client-type {client} --system-identity
"""

WORKFLOW = """name: deploy app{i}
on: {{ push: {{ branches: [main] }} }}
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: azure/login@v2
        with: {{ client-id: "${{{{ secrets.AZURE_CLIENT_ID }}}}", tenant-id: "${{{{ secrets.AZURE_TENANT_ID }}}}", subscription-id: "${{{{ secrets.AZURE_SUBSCRIPTION_ID }}}}" }}
      - run: |
          az webapp connection create postgres-flexible --connection db{i} \\
            --name app{i} --client-type {client} --system-identity
"""

PIPELINE = """trigger: [main]
pool: {{ vmImage: ubuntu-latest }}
steps:
- task: AzureCLI@2
  inputs:
    azureSubscription: prod
    scriptType: pscore
    scriptLocation: inlineScript
    inlineScript: |
      az webapp connection create postgres-flexible `
        --connection db{i} --name app{i} --client-type {client} --system-identity
"""

DOCKERFILE = """FROM python:3.12-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
CMD ["gunicorn", "app:app"]
"""

APP = """import os

import psycopg2


def connect():
    return psycopg2.connect(
        host=os.environ["DB_HOST_{i}"],
        dbname=os.environ["AZURE_POSTGRESQL_NAME"],
        user=os.environ["AZURE_POSTGRESQL_USER"],
        sslmode="require",
    )
"""


def arm_template(i, client, auth):
    """A template the size Bicep compiles an app's infrastructure to: many resources."""
    resources = []
    for n in range(40):
        resources.append({
            "type": "Microsoft.Storage/storageAccounts",
            "apiVersion": "2023-01-01",
            "name": f"[format('st{i}{n}{{0}}', uniqueString(resourceGroup().id))]",
            "location": "[parameters('location')]",
            "sku": {"name": "Standard_LRS"},
            "kind": "StorageV2",
            "properties": {"minimumTlsVersion": "TLS1_2", "supportsHttpsTrafficOnly": True,
                           "networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices",
                                           "ipRules": [{"value": f"10.{n}.0.0/16"}]}},
        })
    resources.append({
        "type": "Microsoft.Web/sites",
        "apiVersion": "2022-09-01",
        "name": "[parameters('siteName')]",
        "tags": {"azd-service-name": f"app{i}"},
        "properties": {"siteConfig": {"appSettings": [
            {"name": "AZURE_POSTGRESQL_PASSWORD", "value": "[parameters('dbPassword')]"},
            {"name": "WEBSITES_PORT", "value": "8000"},
        ]}},
    })
    resources.append({
        "type": "Microsoft.ServiceLinker/linkers",
        "apiVersion": "2024-04-01",
        "name": f"db{i}",
        "scope": "[format('Microsoft.Web/sites/{0}', parameters('siteName'))]",
        "properties": {
            "clientType": client,
            "authInfo": {"authType": auth},
            "targetService": {"type": "AzureResource", "id": "[resourceId('Microsoft.DBforPostgreSQL/flexibleServers/databases', 'psql', 'app')]"},
        },
    })
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "metadata": {"_generator": {"name": "bicep", "version": "0.24.24.22086"}},
        "parameters": {
            "location": {"type": "string", "defaultValue": "[resourceGroup().location]"},
            "siteName": {"type": "string", "defaultValue": f"app{i}-web"},
            "dbPassword": {"type": "securestring"},
        },
        "resources": resources,
    }


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as f:
        f.write(text)


services = []
for i in range(count):
    client = random.choice(CLIENTS)
    auth = random.choice(AUTHS)
    az_client = client.lower() if client != "springBoot" else "springBoot"
    base = os.path.join(out, "apps", f"app{i}")
    services.append(f"  app{i}:\n    project: ./apps/app{i}\n    language: py\n    host: appservice\n")
    write(os.path.join(base, "infra", "main.bicep"), MAIN_BICEP.format(i=i, client=client, auth=auth))
    write(os.path.join(base, "infra", "core", "host", "appservice.bicep"), APPSERVICE_BICEP)
    write(os.path.join(base, "infra", "azuredeploy.json"), json.dumps(arm_template(i, client, auth), indent=2))
    write(os.path.join(base, "terraform", "main.tf"), TF_MAIN.format(i=i, tf_auth=auth))
    write(os.path.join(base, "terraform", "variables.tf"), TF_VARS.format(client=client))
    write(os.path.join(base, "scripts", "deploy.sh"), SH.format(i=i, client=az_client))
    write(os.path.join(base, "scripts", "deploy.ps1"), PS1.format(i=i, client=az_client).replace("\n", "\r\n"))
    write(os.path.join(base, ".github", "workflows", "deploy.yml"), WORKFLOW.format(i=i, client=az_client))
    write(os.path.join(base, "azure-pipelines.yml"), PIPELINE.format(i=i, client=az_client))
    write(os.path.join(base, "Dockerfile"), DOCKERFILE)
    write(os.path.join(base, "app.py"), APP.format(i=i))
    write(os.path.join(base, "requirements.txt"), "psycopg2-binary\ngunicorn\n")

write(os.path.join(out, "azure.yaml"), "name: iac-bench\nservices:\n" + "".join(services))
