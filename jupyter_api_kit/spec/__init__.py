"""Facts about the OpenAI API that the client and the local server both rely on."""
