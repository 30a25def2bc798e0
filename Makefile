# make run  — serve http://127.0.0.1:5000 on SQLite with demo data
# make test — run the test suite (TEST_DATABASE_URL selects another database)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test db seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

db: $(VENV)/.runtime
	IRFLOW_ENV=development $(FLASK) db upgrade

seed: db
	IRFLOW_ENV=development $(FLASK) seed-demo

run: db
	IRFLOW_ENV=development $(FLASK) seed-demo --if-empty
	IRFLOW_ENV=development $(FLASK) run --host 127.0.0.1 --port 5000

test: $(VENV)/.dev
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .pytest_cache
