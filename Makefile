# make run   — the embedded demo on http://127.0.0.1:8000 (SQLite, local files, in-process tasks)
# make test  — lint, migration and deploy checks, then every test against the real services
#              found on this machine (all of them mandatory under CI=true; see scripts/test.sh),
#              then every bench at its --smoke size (bench/smoke.py)
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON := .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install system-deps run run-s3 test lint migrate seed worker

help:
	@echo "make run      migrate, seed demo data, start Celery beat, serve http://$(HOST):$(PORT)"
	@echo "make run-s3   the same demo with documents and reports in a local S3 server (moto)"
	@echo "make test     ruff, migration/deploy checks, unit + integration + browser tests, bench smoke runs"
	@echo "make install  uv (if missing), locked virtualenv in .venv, compiled translations"
	@echo "make lint     ruff check, ruff format --check, mypy"
	@echo "make migrate  apply database migrations"
	@echo "make seed     load reference and demo data (idempotent)"
	@echo "make worker   a Celery worker for both queues (needs CELERY_BROKER_URL)"

install:
	@scripts/install.sh

system-deps:
	@scripts/system-deps.sh

run: system-deps seed
	@HOST=$(HOST) PORT=$(PORT) scripts/run_demo.sh

run-s3: install system-deps
	@HOST=$(HOST) PORT=$(PORT) scripts/run_s3.sh

test: install system-deps
	@scripts/test.sh

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy .

migrate: install
	$(PYTHON) manage.py migrate --noinput

seed: migrate
	$(PYTHON) manage.py seed_demo

worker: install
	@if [ -z "$$CELERY_BROKER_URL" ]; then \
	    echo "Set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0): without a broker tasks" \
	         "run in-process and there is nothing for a worker to do."; exit 2; fi
	.venv/bin/celery -A config worker -Q checks,default,reports --loglevel INFO
