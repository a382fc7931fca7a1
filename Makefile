# Withness: the two commands a new user needs are `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PELICAN := $(BIN)/pelican
INPUTDIR := content
OUTPUTDIR := output
CONFFILE := pelicanconf.py
PUBLISHCONF := publishconf.py
HOST ?= 127.0.0.1
PORT ?= 8000
LOCALE := plugins/reflections/locale
PYBABEL := $(BIN)/pybabel
# Parallel test workers: most tests wait on a build, a browser or a service, so more than the cores.
TEST_WORKERS ?= 4

.PHONY: help run test lint docs screenshots html clean regenerate serve devserver publish bench messages language catalogues

help:
	@echo "make run        build the site and serve it at http://$(HOST):$(PORT)/, rebuilding on change"
	@echo "make test       install the test dependencies and run the whole test suite"
	@echo "make docs       build the documentation into docs/_build/html (warnings are errors)"
	@echo "make screenshots  take the tutorial's screenshots again (Chromium)"
	@echo "make html       build output/ with $(CONFFILE)"
	@echo "make publish    build output/ with $(PUBLISHCONF) (absolute URLs, all feeds)"
	@echo "make serve      serve output/ as it is"
	@echo "make devserver  Pelican's own autoreloading server"
	@echo "make clean      remove output/ and the content cache"
	@echo "make lint       ruff over the code"
	@echo "make bench      the build benchmark (bench/site_build.py)"
	@echo "make messages   extract every message into $(LOCALE)/withness.pot and update each catalogue"
	@echo "make language LANGUAGE=xx   start a catalogue for a new language (docs/how-to/translate.md)"
	@echo "make catalogues check and compile every catalogue (.mo files, not committed)"

$(BIN)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

$(BIN)/.test-installed: $(BIN)/.installed pyproject.toml package.json
	$(BIN)/python -m pip install -q -e '.[test]'
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error; \
	else \
		echo "npm not found: the accessibility tests will be skipped"; \
	fi
	touch $@

$(BIN)/.docs-installed: $(BIN)/.installed pyproject.toml
	$(BIN)/python -m pip install -q -e '.[docs]'
	touch $@

docs: $(BIN)/.docs-installed
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html
	@echo "The documentation is in docs/_build/html/index.html"

screenshots: $(BIN)/.test-installed
	$(BIN)/python docs/screenshots.py

run: $(BIN)/.installed
	$(BIN)/reflections serve --host $(HOST) --port $(PORT)

test: $(BIN)/.test-installed
	$(BIN)/ruff check plugins tests bench docs pelicanconf.py publishconf.py
	$(BIN)/ruff format --check plugins tests bench docs
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder

lint: $(BIN)/.test-installed
	$(BIN)/ruff check plugins tests bench docs pelicanconf.py publishconf.py
	$(BIN)/ruff format --check plugins tests bench docs

html: $(BIN)/.installed
	$(PELICAN) $(INPUTDIR) -o $(OUTPUTDIR) -s $(CONFFILE)

regenerate: $(BIN)/.installed
	$(PELICAN) -r $(INPUTDIR) -o $(OUTPUTDIR) -s $(CONFFILE)

serve: $(BIN)/.installed
	$(PELICAN) -l $(INPUTDIR) -o $(OUTPUTDIR) -s $(CONFFILE) -b $(HOST) -p $(PORT)

devserver: $(BIN)/.installed
	$(PELICAN) -lr $(INPUTDIR) -o $(OUTPUTDIR) -s $(CONFFILE) -b $(HOST) -p $(PORT)

publish: $(BIN)/.installed
	$(PELICAN) $(INPUTDIR) -o $(OUTPUTDIR) -s $(PUBLISHCONF)

bench: $(BIN)/.installed
	$(BIN)/python bench/site_build.py

# Translations (docs/how-to/translate.md). The service and the build read the .po files themselves.
messages: $(BIN)/.installed
	$(PYBABEL) extract -F babel.cfg -k N_ -k plural_forms:1,2 -k plural_message:1,2 --no-location --sort-output -o $(LOCALE)/withness.pot .
	$(PYBABEL) update -i $(LOCALE)/withness.pot -d $(LOCALE) -D withness --no-fuzzy-matching --ignore-obsolete

language: $(BIN)/.installed
	@test -n "$(LANGUAGE)" || (echo "name the language: make language LANGUAGE=xx" && exit 1)
	$(PYBABEL) init -i $(LOCALE)/withness.pot -d $(LOCALE) -D withness -l $(LANGUAGE)

catalogues: $(BIN)/.installed
	$(PYBABEL) compile -d $(LOCALE) -D withness --statistics

clean:
	rm -rf $(OUTPUTDIR) cache
