"""The OPD scorer on small, literal topic sets: every rule of the reading and the suggestion."""

from __future__ import annotations

import pytest

from mailflow.domain.classify import Scorer, ScoringSettings, Term, Topic


def t(**weights: float) -> tuple[Term, ...]:
    return tuple(Term.of(text.replace("_", " "), weight) for text, weight in weights.items())


ROADS = Topic("DPUPR", "Jalan dan Jembatan", t(jalan_rusak=6, lubang=4, aspal=4, jalan=1, trotoar=4))
DRAINS = Topic("DPUPR", "Drainase dan Banjir", t(banjir=4, selokan=4, drainase=5))
LIGHTS = Topic("DISHUB", "Penerangan Jalan", t(lampu_jalan=6, lampu=2, gelap=2))
RUBBISH = Topic("DLH", "Kebersihan", t(sampah=5, bau=2))
HEALTH = Topic("DINKES", "Kesehatan", t(puskesmas=6, fogging=6))
SCHOOLS = Topic("DISDIKBUD", "Pendidikan", t(sekolah=2, guru=4, pungutan_sekolah=6, depan_sekolah=-1))
SERVICE = t(lurah=5, surat_pengantar=5, kelurahan=0.5)
NORTH = Topic("KEC-UTARA", "Kelurahan", SERVICE, places=t(api_api=0, lok_tuan=0), group="kecamatan")
SOUTH = Topic("KEC-SELATAN", "Kelurahan", SERVICE, places=t(tanjung_laut=0), group="kecamatan")
FIRE = Topic("DAMKAR", "Kebakaran", t(api=2, kebakaran=6))
TOPICS = (ROADS, DRAINS, LIGHTS, RUBBISH, HEALTH, SCHOOLS, NORTH, SOUTH, FIRE)
FIELD = t(tinjau_lapangan=4, sengketa=4, lintas_sektor=4)


def scorer(**settings: float) -> Scorer:
    return Scorer(TOPICS, ignore=("jl pupuk raya",), field_review=FIELD, settings=ScoringSettings(**settings))


def test_affixed_words_match_root_terms_and_the_best_topic_names_the_category() -> None:
    found = scorer().classify("Jalan berlubang", "Jalannya berlubang dan aspalnya mengelupas.")
    assert found.opds == ("DPUPR",)
    assert found.category == "Jalan dan Jembatan"
    assert {h.term for h in found.scores[0].hits} == {"lubang", "aspal", "jalan"}


def test_the_longest_term_takes_its_words() -> None:
    """'lampu jalan' is the street light: its 'jalan' no longer counts for the roads."""
    found = scorer().classify("Lampu jalan mati", "Lampu jalan di gang kami mati, gelap sekali.")
    assert found.opds == ("DISHUB",)
    assert "DPUPR" not in {s.opd for s in found.scores}


def test_a_generic_word_of_another_opd_does_not_win() -> None:
    found = scorer().classify("Aduan", "Jalan rusak dan banyak lubang di dekat sekolah, guru pun mengeluh.")
    assert found.opds[0] == "DPUPR"


def test_a_term_that_only_names_a_place_counts_little() -> None:
    text = "Polisi tidur tanpa cat dan lampu jalan padam di depan puskesmas."
    found = scorer(location_factor=0.25).classify("Aduan", text)
    health = next(s for s in found.scores if s.opd == "DINKES")
    assert health.score == pytest.approx(6 * 0.25)
    assert health.hits[0].place_only
    assert found.opds == ("DISHUB",)
    unplaced = scorer(location_factor=1.0).classify("Aduan", text)
    assert next(s for s in unplaced.scores if s.opd == "DINKES").score == 6


def test_negative_phrases_speak_against_a_topic() -> None:
    found = scorer().classify("Aduan", "Mobil parkir di depan sekolah setiap pagi.")
    schools = next(s for s in found.scores if s.opd == "DISDIKBUD")
    assert schools.score == -1 and "DISDIKBUD" not in found.opds


def test_ignore_phrases_take_their_words() -> None:
    """Jl. Pupuk Raya is a street: its words count for nothing."""
    plain = Scorer((Topic("DKP3", "Pertanian", t(pupuk=3)),), ignore=("jl pupuk raya",))
    assert plain.classify("x", "Lampu mati di Jl. Pupuk Raya").scores == ()
    assert plain.classify("x", "Pupuk untuk petani langka").opds == ("DKP3",)


def test_repetitions_and_the_subject_add_a_little() -> None:
    once = scorer().classify("Aduan", "Sampah.")
    assert once.scores[0].score == 5
    thrice = scorer().classify("Aduan", "Sampah, sampah, sampah.")
    assert thrice.scores[0].score == pytest.approx(5 * 1.5)
    subject = scorer().classify("Sampah", "Tolong.")
    assert subject.scores[0].score == pytest.approx(5 * 1.5)


def test_below_the_minimum_nothing_is_suggested() -> None:
    found = scorer(min_score=3).classify("Aduan", "Jalan di sini gelap.")
    assert found.opds == () and found.category is None
    assert {s.opd for s in found.scores} == {"DISHUB", "DPUPR"}


def test_close_scores_with_a_strong_term_suggest_several_opds() -> None:
    text = "Selokan tersumbat sampah, setiap hujan banjir."
    found = scorer(margin=0.3, secondary_weight=4).classify("Banjir", text)
    assert found.opds == ("DPUPR", "DLH")
    strict = scorer(margin=0.95, secondary_weight=4).classify("Banjir", text)
    assert strict.opds == ("DPUPR",)


def test_a_second_opd_needs_a_strong_term_of_its_own() -> None:
    text = "Jalan rusak berlubang, aspal hancur. Malam hari gelap, lampu redup."
    found = scorer(margin=0.1, secondary_weight=4).classify("Jalan", text)
    assert found.opds == ("DPUPR",)  # DISHUB has only 'gelap' and 'lampu' (2 each)
    assert scorer(margin=0.1, secondary_weight=2).classify("Jalan", text).opds == ("DPUPR", "DISHUB")


def test_the_kelurahan_picks_the_kecamatan_only_when_it_is_about_the_kecamatan() -> None:
    about = scorer().classify("Lurah", "Lurah Api-Api tidak pernah ada untuk tanda tangan surat pengantar.")
    assert about.opds == ("KEC-UTARA",)
    south = scorer().classify("Lurah", "Lurah Tanjung Laut tidak mau tanda tangan surat pengantar.")
    assert south.opds == ("KEC-SELATAN",)
    tie = scorer().classify("Lurah", "Lurahnya tidak mau tanda tangan surat pengantar.")
    assert tie.opds == ()  # one of three kecamatan, which one nobody said
    assert tie.scores[0].category == "Kelurahan"
    elsewhere = scorer().classify("Sampah", "Sampah menumpuk di Kelurahan Api-Api.")
    assert elsewhere.opds == ("DLH",)  # Api-Api is a place, not a fire ('api') nor the kecamatan
    assert {s.opd for s in elsewhere.scores} == {"DLH", "KEC-UTARA", "KEC-SELATAN"}
    assert all(s.score < 1 for s in elsewhere.scores if s.opd.startswith("KEC"))


def test_field_review_from_its_terms_and_from_several_opds() -> None:
    plain = scorer().classify("Lampu", "Lampu jalan mati.")
    assert not plain.field_review and plain.field_review_score == 0
    survey = scorer().classify("Jembatan", "Mohon tinjau lapangan, jalan rusak dan lubang besar.")
    assert survey.field_review and survey.field_review_hits[0].term == "tinjau lapangan"
    several = scorer(field_review_multi_opd=3).classify("Banjir", "Selokan tersumbat sampah, banjir.")
    assert len(several.opds) == 2 and several.field_review and not several.field_review_hits


def test_typing_slips_in_long_words_still_match() -> None:
    found = scorer().classify("slokan", "slokan depan rumah mampet, drainse penuh")
    assert found.opds == ("DPUPR",)
    assert {h.term for h in found.scores[0].hits} == {"selokan", "drainase"}


def test_english_terms_and_the_report_view() -> None:
    topics = (Topic("PDAM", "Air Bersih", t(tap_water=6, leak=2)), ROADS)
    found = Scorer(topics).classify("No water", "Our tap water has stopped and the pipe is leaking.")
    assert found.opds == ("PDAM",)
    view = found.as_dict()
    assert view["opds"] == ["PDAM"] and view["scores"][0]["hits"][0]["term"] == "tap water"
    assert "PDAM 8" in found.summary()


def test_a_footer_below_a_separator_is_not_read() -> None:
    body = "Sampah menumpuk di gang kami.\n\n-- \nDikirim dari puskesmas keliling\n"
    found = scorer().classify("Aduan", body)
    assert {s.opd for s in found.scores} == {"DLH"}
    assert {s.opd for s in scorer().classify("Aduan", body.replace("-- ", "")).scores} == {"DLH", "DINKES"}
