"""Names of the languages children and families speak, for explanations a person reads.

Records carry ISO 639 codes (``es``, ``ase``); reasons say "Spanish". One small table, kept
here so that every explanation names a language the same way. An unknown code is shown as
the code itself rather than guessed at.
"""

from __future__ import annotations

__all__ = ["LANGUAGE_NAMES", "language_name"]

# ISO 639-1 where one exists, else ISO 639-3 (American Sign Language has only "ase")
LANGUAGE_NAMES: dict[str, str] = {
    "am": "Amharic",
    "ar": "Arabic",
    "ase": "American Sign Language",
    "bn": "Bengali",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "fa": "Persian",
    "fr": "French",
    "gu": "Gujarati",
    "hi": "Hindi",
    "hmn": "Hmong",
    "ht": "Haitian Creole",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "lt": "Lithuanian",
    "nv": "Navajo",
    "pl": "Polish",
    "ps": "Pashto",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "so": "Somali",
    "sq": "Albanian",
    "sw": "Swahili",
    "ti": "Tigrinya",
    "tl": "Tagalog",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "vi": "Vietnamese",
    "yo": "Yoruba",
    "zh": "Chinese",
}


def language_name(code: str) -> str:
    """The English name of a language code ("es" -> "Spanish"); an unknown code as is."""
    return LANGUAGE_NAMES.get(code, code)
