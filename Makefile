# Two commands set up everything on a fresh machine that has Python 3.11 and make:
#   make lab    JupyterLab on notebooks/, talking to the embedded local server (no OpenAI key, no network)
#   make test   the whole test suite
#   make lab UPSTREAM=http://127.0.0.1:11434/v1   the same, with a real engine answering (gateway mode)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8765
LAB_PORT ?= 8888
LOCAL_URL := http://127.0.0.1:$(PORT)/v1
# JupyterLab reads jupyter-config/labconfig/page_config.json too: it turns off the announcements plugin, so no
# "get notified about official Jupyter news?" popup covers the quickstart (and nothing is fetched from the web).
LAB_CONFIG_PATH := $(CURDIR)/jupyter-config
# Gateway mode (optional): an OpenAI-compatible engine's /v1 URL, the variable holding its key, renames.
UPSTREAM ?=
UPSTREAM_KEY_ENV ?=
UPSTREAM_MODEL_MAP ?=
SERVE_FLAGS := $(if $(UPSTREAM),--upstream $(UPSTREAM)) $(if $(UPSTREAM_KEY_ENV),--upstream-key-env \
	$(UPSTREAM_KEY_ENV)) $(if $(UPSTREAM_MODEL_MAP),--upstream-model-map $(UPSTREAM_MODEL_MAP))

.PHONY: lab test bench serve clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Stamps make a second run reinstall nothing unless pyproject.toml changed.
$(VENV)/.lab-installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e ".[lab]"
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e ".[lab,test]"
	touch $@ $(VENV)/.lab-installed

# The local server takes only this run's random key; the server and the kernels read it from the environment
# (never the command line, which other users of the machine can see).
lab: $(VENV)/.lab-installed
	@echo "Starting the local server at $(LOCAL_URL) and JupyterLab on notebooks/ (the URL to open follows)."
	@JUPYTER_API_KIT_LOCAL_KEY=$$($(PY) -c 'import secrets; print("sk-local-" + secrets.token_urlsafe(32))'); \
	export JUPYTER_API_KIT_LOCAL_KEY; \
	$(VENV)/bin/jupyter-api-kit serve --port $(PORT) $(SERVE_FLAGS) & server=$$!; \
	trap 'kill $$server 2>/dev/null' EXIT INT TERM; \
	cd notebooks && JUPYTER_API_KIT_LOCAL_URL=$(LOCAL_URL) \
		JUPYTER_CONFIG_PATH=$(LAB_CONFIG_PATH)$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH} \
		../$(VENV)/bin/jupyter lab --no-browser \
		--ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) $$([ "$$(id -u)" = 0 ] && echo --allow-root) quickstart.ipynb

test: $(VENV)/.test-installed
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.test-installed
	$(PY) -m benchmarks

serve: $(VENV)/.lab-installed
	$(VENV)/bin/jupyter-api-kit serve --port $(PORT) $(SERVE_FLAGS)

clean:
	rm -rf $(VENV) .pytest_cache
