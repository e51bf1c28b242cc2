"""Which language a complainant wrote in: Indonesian or English (pure, no model).

Counted from function words, the words every sentence needs ("yang", "dan", "tidak", "sudah";
"the", "and", "is", "have") and the chat spellings of the Indonesian ones ("yg", "gak", "udh"),
never from content words: a complaint in English about "Jalan Ahmad Yani, Kelurahan Api-Api" is
still English. Too few such words, or too even a split, and the site's language is returned,
marked as undecided. Libraries that do this with models (lingua-language-detector, langdetect)
weigh tens of megabytes or are not deterministic; two languages need neither.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailflow.domain.wordforms import words


def _listed(text: str) -> frozenset[str]:
    return frozenset(text.split())


INDONESIAN = _listed(
    """
    yang yg dan di ke dari ini itu dengan dgn dg untuk utk tidak tdk gak ga gk nggak enggak engga ndak
    ada sudah sdh udah udh telah belum blm saya sy aku kami kmi kita mereka anda akan pada juga jg
    karena krn karna atau sangat sekali mohon tolong tlg mhn agar supaya bisa bs dapat jika kalau klo
    kalo sejak setiap tiap sampai smpe sampe hingga bapak ibu pak bu jadi jd masih msh lagi lg oleh
    sebagai dalam bagi para tersebut namun tetapi tapi tp harus perlu segera mana apa kapan kpn
    bagaimana gimana gmn kenapa knp mengapa terima kasih banyak bnyk sering selalu aja saja banget bgt
    dong sih kok nih tuh lalu kemarin kemaren sekarang skrg sama lebih kurang tanpa hanya cuma cuman
    pun bahwa adalah ialah yaitu serta maupun setelah sebelum ketika saat sedang bila apabila walaupun
    meskipun hormat yth dengan terimakasih makasih kenapa sini situ begitu begini sudahlah semua
    seperti kayak kyk jg sdg atas bawah antara kepada terhadap tentang belakangan
    """
)
ENGLISH = _listed(
    """
    the and is are was were be been being of to in on at for with this that these those there here it
    its not have has had my our we you your they their he she his her him them please since from by an
    very would could should will can cannot don doesn didn isn aren wasn won hello dear thank thanks
    regards sincerely because but or if when what where who which how why about after before into out
    up down all any some yes also just only more most than then so such every each am do does did get
    got still again nobody someone anyone people me us
    """
)


@dataclass(frozen=True)
class LanguageGuess:
    language: str  # "id" or "en"
    confidence: float  # share of the function words in that language (0.5 to 1)
    decided: bool  # False: too little evidence, `language` is the default
    indonesian: int  # function words counted
    english: int


def detect_language(
    text: str, *, default: str = "id", min_words: int = 3, min_confidence: float = 0.7
) -> LanguageGuess:
    """The language of `text` ("id" or "en"); `default` (the site's language) when unsure."""
    indonesian = english = 0
    for word in words(text[:20_000]):
        if word in INDONESIAN:
            indonesian += 1
        elif word in ENGLISH:
            english += 1
    total = indonesian + english
    if total == 0:
        return LanguageGuess(default, 0.5, False, 0, 0)
    share = indonesian / total
    language, confidence = ("id", share) if share >= 0.5 else ("en", 1 - share)
    if total < min_words or confidence < min_confidence:
        return LanguageGuess(default, confidence, False, indonesian, english)
    return LanguageGuess(language, confidence, True, indonesian, english)
