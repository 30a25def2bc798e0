# make run  — serve http://127.0.0.1:5000 on SQLite with demo data
# make test — run the test suite (TEST_DATABASE_URL selects another database)
# make lint — ruff: the lint rules and the formatting (pyproject.toml)
# make translations — extract messages, update the ru and tg catalogues, compile them
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

CATALOGUES := irflow/translations
BABEL_EXTRACT := $(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output --ignore-dirs '.* __pycache__' \
	--project irflow --copyright-holder irflow -o $(CATALOGUES)/messages.pot .

.PHONY: run test lint db seed clean translations compile-translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

compile-translations: $(VENV)/.runtime
	$(BIN)/pybabel compile -d $(CATALOGUES)

translations: $(VENV)/.runtime
	$(BABEL_EXTRACT)
	$(BIN)/pybabel update -i $(CATALOGUES)/messages.pot -d $(CATALOGUES) --ignore-obsolete --no-fuzzy-matching
	$(BIN)/pybabel compile -d $(CATALOGUES) --statistics

db: compile-translations
	IRFLOW_ENV=development $(FLASK) db upgrade

seed: db
	IRFLOW_ENV=development $(FLASK) seed-demo

run: db
	IRFLOW_ENV=development $(FLASK) seed-demo --if-empty
	IRFLOW_ENV=development $(FLASK) run --host 127.0.0.1 --port 5000

test: $(VENV)/.dev compile-translations
	$(BIN)/pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache
