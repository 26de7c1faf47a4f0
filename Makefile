# The two commands of the README: `make demo` and `make test`. Both bootstrap through `make setup`.
VENV  := .venv
STAMP := $(VENV)/.wall-setup

.PHONY: setup demo test lint format bench readme-images clean

setup: $(STAMP)

# Re-run set-up when the dependencies or the set-up script change; otherwise it is a no-op.
$(STAMP): pyproject.toml scripts/bootstrap.sh scripts/apt_lib.sh
	@scripts/bootstrap.sh $(VENV)
	@touch $@

demo: setup
	@$(VENV)/bin/wallctl demo

test: setup
	@scripts/test_deps.sh
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy
	@$(VENV)/bin/python -m pytest

# What `make test` checks first, alone; `make format` rewrites the tree the way the check wants it.
lint: setup
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy

format: setup
	@$(VENV)/bin/ruff check --fix .
	@$(VENV)/bin/ruff format .

bench: setup
	@$(VENV)/bin/wallctl bench config/demo.yaml

# The pictures in README.md, made by wall itself at a fixed time (the console's needs Debian's chromium).
readme-images: setup
	@$(VENV)/bin/python scripts/readme_images.py

clean:
	rm -rf out .pytest_cache
