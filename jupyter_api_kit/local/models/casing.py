"""How the first word of a sentence reads when the sentence is said inside another one.

Example:
    >>> lowered("The")
    'the'
"""

from __future__ import annotations

from jupyter_api_kit.local.models.extract import corpus_words, proper_names

# A sentence's first words that read in lower case after "Also," whatever the corpus says.
LOWER_STARTS = frozenset("""the a an it its this these those there in on at every each some most many all one
to for when if as our your my their they we you he she his her after before during from with by""".split())


def lowered(word: str) -> str:
    """A sentence's first word as it reads after "Also," ("Moons" -> "moons"; "Mars", a name the
    corpus writes capitalized inside sentences, and words it has never seen, stay).

    Example:
        >>> lowered("Moons"), lowered("Mars"), lowered("Vemmin")
        ('moons', 'Mars', 'Vemmin')
    """
    lower = word.lower()
    if lower in LOWER_STARTS:
        return lower
    if word == "I" or word.strip() in proper_names() or lower.strip() not in corpus_words():
        return word
    return lower
