"""jupyter_api_kit: the OpenAI REST API, and any server that speaks it, as a first-class citizen of Jupyter.

Importing the package is cheap: pandas, ipywidgets and the server stack load on first use.

Example:
    >>> from jupyter_api_kit import Client
    >>> client = Client()          # no key set: talks to the embedded local server
    >>> client.chat.completions.create(model="local-ngram",
    ...     messages=[{"role": "user", "content": "Hello"}]).choices[0].message.role
    'assistant'
"""

__version__ = "0.1.0"

__all__ = ["Client", "__version__", "load_ipython_extension", "unload_ipython_extension"]


def __getattr__(name):
    # Lazy so that `import jupyter_api_kit` does not pull in requests/pandas.
    if name == "Client":
        from jupyter_api_kit.client import Client

        return Client
    raise AttributeError(f"module 'jupyter_api_kit' has no attribute {name!r}")


def load_ipython_extension(ipython):
    """`%load_ext jupyter_api_kit`: registers %%chat, %completions and the other magics."""
    from jupyter_api_kit.magics import load_ipython_extension as _load

    _load(ipython)


def unload_ipython_extension(ipython):
    """`%unload_ext jupyter_api_kit`: removes every magic the extension added, and their settings objects."""
    from jupyter_api_kit.magics import unload_ipython_extension as _unload

    _unload(ipython)
