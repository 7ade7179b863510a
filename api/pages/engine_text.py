"""The engine's sentences in Spanish: the same keys as :data:`matching.messages.ENGLISH`.

The matching engine says its reasons, near-miss details, suggestions and plan reasons as a
key and values (:class:`matching.messages.Message`); the pages render them in the page's
language with :func:`said`. Ids, community names and cultural tags come from the records and
are shown as recorded; a faith recorded with one of the sample county's codes is named in the
page's language (:data:`FAITHS`), any other as recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matching.messages import ENGLISH, ENGLISH_WORDING, Wording, render

__all__ = ["FAITHS", "SPANISH", "WORDINGS", "language_name_in", "said"]

SPANISH: dict[str, str] = {
    # joining and who
    "parts": "{parts:;}",
    "for_children": "{ids}: {phrase}",
    "who.child": "el niño",
    "whose.child": "del niño",
    "whose.id": "de {id}",
    "whose.children": "de los niños",
    "whose.their": "de cada uno",
    # factor: kinship
    "kinship.none": "no es un hogar de familiares",
    "kinship.named.child": "designado para este niño",
    "kinship.named.all": "designado para los {count} niños",
    "kinship.named.some": "designado para {ids}",
    "kinship.relationship": "{relationship}, {named}",
    "kinship.licensed": "familiar: {named}",
    "kinship.provisional": "familiar, con aprobación provisional: {named}",
    # factor: siblings together
    "siblings.all": "acoge a los {count} hermanos juntos",
    "siblings.part": "acoge a {taken} de los {count} hermanos ({ids}): el grupo se separaría",
    # hermanos que ya viven en un hogar de familia: "su hermana C1"
    "possessive.female": "su",
    "possessive.male": "su",
    "possessive.unknown": "su",
    "possessive.female.many": "sus",
    "possessive.male.many": "sus",
    "possessive.unknown.many": "sus",
    "sibling.female": "hermana",
    "sibling.male": "hermano",
    "sibling.unknown": "hermano o hermana",
    "siblings.female": "hermanas",
    "siblings.male": "hermanos",
    "siblings.unknown": "hermanos",
    "sibling.named": "{whose} {sibling} {id}",
    "siblings.named": "{whose} {siblings} {ids}",
    "siblings.here.one": "{siblings} ya vive aquí",
    "siblings.here.many": "{siblings} ya viven aquí",
    "siblings.there.one": "{siblings} vive allí",
    "siblings.there.many": "{siblings} viven allí",
    "siblings.elsewhere.one": "{siblings} vive en otro hogar ({home})",
    "siblings.elsewhere.many": "{siblings} viven en otro hogar ({home})",
    "siblings.elsewhere.homes": "{siblings} viven en otros hogares ({homes})",
    # factors: same community, distance
    "distance.removal": "a {km:.1f} km del domicilio del que fue separado/a",
    "distance.beyond": "{distance}, fuera del radio de {radius:g} km (los familiares están "
    "exentos)",
    "community.unknown": "{distance}; no consta la comunidad del domicilio del que fue separado/a",
    "community.outside": "{distance}, fuera de las comunidades de la agencia",
    "community.same": "{distance}, misma comunidad: {name}",
    "community.neighbour": "{distance}, comunidad vecina: {name}",
    "community.other": "{distance}, otra comunidad: {name} (separado/a en {removed_in})",
    # factor: school
    "school.none": "ninguno de los niños que acogería tiene escuela de origen registrada",
    "school.child": "a {km:.1f} km de la escuela de origen",
    "school.of": "a {km:.1f} km de la escuela {whose}",
    # factor: language
    "language.none": "no consta el idioma de los niños que acogería",
    "language.first": "habla {first}, primer idioma {whose}",
    "language.other": "habla {spoken}, otro de los idiomas {whose} (el primero: {first})",
    "language.neither": "no habla los idiomas {whose} ({names})",
    "language.not_first": "no habla {first}, primer idioma {whose}",
    # factor: faith and culture
    "faith.none": "no consta fe ni necesidad cultural de los niños que acoge",
    "faith.shares": "comparte la fe {whose} ({faith})",
    "faith.differs": "no comparte la fe {whose} ({faith})",
    "culture.offers": "ofrece {needs}",
    "culture.lacks": "no ofrece {needs}",
    # factor: age fit
    "ages.any": "acoge cualquier edad",
    "ages.range": "acoge edades de {low} a {high}",
    "age_fit.child": "{takes}; el niño tiene {age} años",
    "age_fit.children": "{takes}; los niños tienen {ages} años",
    "age_fit.far.child": "{takes}; el niño tiene {age} años, lejos de la mayoría de esas edades",
    "age_fit.far.children": "{takes}; los niños tienen {ages} años, lejos de la mayoría de esas "
    "edades",
    # factor: capacity fit
    "capacity.only_bed": "ocupa su única cama libre",
    "capacity.all_beds": "ocupa las {free} camas libres",
    "capacity.some_beds": "ocupa {taken} de {free} camas libres (deja sitio para un grupo de "
    "hermanos)",
    "capacity.spare_beds": "ocupa {taken} de {free} camas libres: un grupo de hermanos podría "
    "necesitar este hogar",
    # factor: freshness
    "freshness.never": "ninguna colocación registrada",
    "freshness.last": "acogió a un niño por última vez {ago}",
    "ago.day": "hace {n} día",
    "ago.days": "hace {n} días",
    "ago.weeks": "hace {n} semanas",
    "ago.month": "hace {n} mes",
    "ago.months": "hace {n} meses",
    "ago.years": "hace {n} años",
    # factor: load spreading
    "load.none": "ninguna colocación en el último año",
    "load.one": "1 colocación en el último año",
    "load.many": "{count} colocaciones en el último año",
    "acceptance.none": "ninguna llamada registrada",
    "acceptance.only.yes": "aceptó la única llamada registrada",
    "acceptance.only.no": "no aceptó la única llamada registrada",
    "acceptance.last": "aceptó {accepted} de sus últimas {calls} llamadas",
    # rules: near-miss details and suggestions
    "would.qualify.one": "1 hogar cumpliría",
    "would.qualify.many": "{count} hogares cumplirían",
    "would.take.one": "1 hogar acogería a los {size} niños",
    "would.take.many": "{count} hogares acogerían a los {size} niños",
    "beds.none": "ninguna cama libre",
    "beds.one": "1 cama libre",
    "beds.many": "{count} camas libres",
    "free_beds.child": "{beds}; el niño necesita 1",
    "free_beds.group": "{beds}; el grupo necesita {size}",
    "free_beds.suggest.child": "{would} con una cama libre",
    "free_beds.suggest.one": "{would} con 1 cama libre más",
    "free_beds.suggest.many": "{would} con {more} camas libres más",
    "max_siblings.detail.one": "acoge como máximo 1 hermano; el grupo tiene {size}",
    "max_siblings.detail.many": "acoge como máximo {limit} hermanos; el grupo tiene {size}",
    "max_siblings.suggest.one": "{would} si aceptara {size} hermanos",
    "max_siblings.suggest.many": "{would} si aceptaran {size} hermanos",
    "sex.female": "femenino",
    "sex.male": "masculino",
    "sex.unknown": "no registrado",
    "sex.is": "{who} es de sexo {sex}",
    "sex.detail": "solo acepta niños de sexo {accepts}; {who}",
    "sex.suggest.one": "{would} si aceptara niños de sexo {sexes:or}",
    "sex.suggest.many": "{would} si aceptaran niños de sexo {sexes:or}",
    "age.infant": "no acoge bebés (menores de 1 año); {who} es menor de 1 año",
    "age.outside": "{takes}; {who} tiene {age} años",
    "age.suggest.infant.one": "{would} si acogiera bebés (menores de 1 año)",
    "age.suggest.infant.many": "{would} si acogieran bebés (menores de 1 año)",
    "age.suggest.one": "{would} si aceptara {ages}",
    "age.suggest.many": "{would} si aceptaran {ages}",
    "age.one": "la edad de {ages} años",
    "age.many": "las edades de {ages} años",
    "radius.detail": "{km:.1f} km; el radio es de {radius:g} km",
    "radius.detail.close": "{km:.3f} km; el radio es de {radius:g} km",
    "radius.suggest": "{would} con un radio de {km} km",
    # near misses: a kin home, and where a sibling lives
    "declined.detail": "rechazó el {day}: {reason}",
    "declined.suggest.one": "1 hogar rechazó a estos niños en este episodio",
    "declined.suggest.many": "{count} hogares rechazaron a estos niños en este episodio",
    "on_hold.detail": "dijo no tener lugar el {said}; en espera hasta el {until}",
    "on_hold.suggest.one": "{would} si confirmara una cama libre (en espera por falta de lugar)",
    "on_hold.suggest.many": "{would} si confirmaran una cama libre (en espera por falta de lugar)",
    "decline.no_capacity_now": "sin lugar por ahora",
    "decline.child_needs": "las necesidades del niño",
    "decline.age_or_sex": "edad o sexo",
    "decline.sibling_group_size": "tamaño del grupo de hermanos",
    "decline.family_circumstances": "circunstancias familiares",
    "decline.distance": "distancia",
    "decline.other": "otro motivo",
    "day.this_year": "{day} de {month}",
    "day.other_year": "{day} de {month} de {year}",
    "month.1": "enero",
    "month.2": "febrero",
    "month.3": "marzo",
    "month.4": "abril",
    "month.5": "mayo",
    "month.6": "junio",
    "month.7": "julio",
    "month.8": "agosto",
    "month.9": "septiembre",
    "month.10": "octubre",
    "month.11": "noviembre",
    "month.12": "diciembre",
    "near_miss.kin_home": "hogar de familiares",
    "near_miss.kin": "{relationship}; {detail}",
    "near_miss.siblings": "{detail}; {siblings}",
    # rules by name, as a sentence names them
    "rule.inactive": "Hogar activo (con licencia, o familiar con aprobación provisional)",
    "rule.kin_of_others": "Hogar de familiares designado para estos niños",
    "rule.excluded_home": "Hogar no excluido para el niño",
    "rule.declined": "No rechazó al niño en este episodio",
    "rule.on_hold": "No en espera tras decir que no tiene lugar ahora",
    "rule.no_free_bed": "Suficientes camas libres",
    "rule.max_siblings": "Grupo de hermanos dentro del límite del hogar",
    "rule.sex": "Sexo aceptado",
    "rule.age_range": "Edad dentro del rango del hogar",
    "rule.needs": "Necesidades dentro de las capacidades del hogar",
    "rule.separation": "Separaciones de seguridad respetadas",
    "rule.radius": "Dentro del radio de búsqueda (familiares exentos)",
    "rule.icwa_order": "Orden de preferencia de colocación de ICWA",
    # ranking: when nothing (or nothing for the whole group) qualifies
    "rank.no_homes": "Ningún hogar cumple para {ids}: no hay hogares que considerar.",
    "rank.none": "Ningún hogar cumple para {ids}: la regla «{rule}» descartó más hogares que "
    "ninguna otra ({removed} de {homes}).",
    "rank.near": "{message} Los que casi cumplen: {suggestions:;}.",
    "rank.kept_apart": "{a} y {b} no deben vivir juntos",
    "rank.separation_note": "{a} y {b} no deben vivir juntos (separación de seguridad): "
    "ningún hogar puede acoger a todo el grupo",
    "rank.separated": "Ningún hogar puede acoger a los {size} niños juntos: {pairs:;} "
    "(separación de seguridad). Los candidatos acogen partes del grupo.",
    "rank.blocker": "«{rule}» {homes}",
    "rank.not_whole": "Ningún hogar puede acoger a los {size} niños juntos; los hogares que "
    "cumplen acogen parte del grupo (lo impiden: {blockers:,}).",
    # plan: ICWA conflicts, good cause, families taken out, the baseline
    "conflict.icwa_vs_siblings": "{id} está bajo la ICWA y solo se propone en su mejor nivel "
    "con un hogar posible (nivel {tier}); mantener a {id} con {siblings} en un mismo hogar "
    "la colocaría por debajo de ese nivel ({homes} hogares así): solo lo permite una "
    "resolución judicial de causa justificada",
    "conflict.icwa_vs_kin": "{home} es a la vez el mejor nivel ICWA de {id} (nivel {tier}) y "
    "un hogar de familiares de {sibling}, que no está bajo la ICWA: se propone a {id} allí "
    "(la ICWA obliga; la prioridad de familiares de un hermano es una política)",
    "conflict.rule_broken": "el plan incumplía una regla para {ids}: {why}; se retiraron del "
    "plan, para colocarlos a mano",
    "good_cause.below_tier": "{id} está bajo la ICWA: este hogar es de nivel {tier} y había "
    "un hogar posible de nivel {best}; debe registrarse la causa justificada",
    "good_cause.keeps_siblings": "mantiene juntos a los {size} hermanos, pero coloca a {ids} "
    "por debajo del mejor nivel ICWA con un hogar posible (aquí nivel {tiers:,}): requiere una "
    "resolución judicial de causa justificada",
    "plan.is_baseline": "el optimizador no encontró un plan en el tiempo límite: este es el "
    "plan de referencia legal (la práctica actual dentro de las reglas)",
    "unplaced.withdrawn": "retirado del plan: el plan incumplía una regla para esta familia "
    "(ver los conflictos)",
    # ranking: who waits, how long, and what is coming
    "waiting.line": "{id}: {parts:;}",
    "waiting.days": "en espera desde hace {days} días",
    "waiting.unknown": "no consta desde cuándo espera",
    "waiting.turns_18": "cumple 18 años el {date} (dentro de {days} días)",
    "waiting.icwa": "ICWA: mejor nivel {tier} ({home})",
    "waiting.icwa.none": "ICWA: ningún hogar candidato en ningún nivel",
    # plan: why a child is not placed
    "unplaced.only_home": "su único hogar posible, {home} (a {km:.1f} km)",
    "unplaced.best_home": "el mejor, {home} (a {km:.1f} km)",
    "unplaced.free": "{home}, está libre, pero colocar allí solo a este niño separaría al grupo "
    "de hermanos o se saltaría la prioridad de los familiares",
    "unplaced.taken": "{home}, fue para {ids}",
    "unplaced.all_taken": "sus {count} hogares posibles se asignaron a otros niños; {home}, "
    "fue para {ids}",
    "unplaced.none": "ningún hogar posible acoge a este niño, con o sin sus hermanos",
    # languages
    "language.code": "{code}",
    "language.am": "amárico",
    "language.ar": "árabe",
    "language.ase": "lengua de señas americana",
    "language.bn": "bengalí",
    "language.de": "alemán",
    "language.el": "griego",
    "language.en": "inglés",
    "language.es": "español",
    "language.fa": "persa",
    "language.fr": "francés",
    "language.gu": "guyaratí",
    "language.hi": "hindi",
    "language.hmn": "hmong",
    "language.ht": "criollo haitiano",
    "language.it": "italiano",
    "language.ja": "japonés",
    "language.ko": "coreano",
    "language.lt": "lituano",
    "language.nv": "navajo",
    "language.pl": "polaco",
    "language.ps": "pastún",
    "language.pt": "portugués",
    "language.ro": "rumano",
    "language.ru": "ruso",
    "language.so": "somalí",
    "language.sq": "albanés",
    "language.sw": "suajili",
    "language.ti": "tigriña",
    "language.tl": "tagalo",
    "language.uk": "ucraniano",
    "language.ur": "urdu",
    "language.vi": "vietnamita",
    "language.yo": "yoruba",
    "language.zh": "chino",
}

# the faiths as the records name them (the sample county's codes), said in each language
FAITHS: dict[str, dict[str, str]] = {
    "es": {
        "buddhist": "budista",
        "catholic": "católica",
        "hindu": "hindú",
        "jewish": "judía",
        "muslim": "musulmana",
        "orthodox": "ortodoxa",
        "protestant": "protestante",
    },
}

WORDINGS: dict[str, Wording] = {
    "en": ENGLISH_WORDING,
    "es": Wording(
        SPANISH,
        and_word="y",
        or_word="o",
        decimal_comma=True,
        fallback=ENGLISH,
        # "y" is "e" before an /i/ sound, "o" is "u" before an /o/ sound
        euphony={"y": (("i", "hi", "í", "hí"), "e"), "o": (("o", "ho", "ó", "hó"), "u")},
    ),
}


def said(message: Mapping[str, Any] | None, lang: str, english: str | None = None) -> str:
    """An engine message (its JSON form) in ``lang``; ``english`` when there is no message.

    Results stored before messages carried keys (a finished plan job) have only the English
    sentence: that is shown as it is.
    """
    if not message:
        return english or ""
    return render(_faiths_in(message, FAITHS.get(lang, {})), WORDINGS.get(lang, ENGLISH_WORDING))


def _faiths_in(value: Any, names: Mapping[str, str]) -> Any:
    """``value`` (a message's JSON, or one of its arguments) with every ``faith`` argument
    named in the language of ``names``; a faith not in ``names`` stays as recorded."""
    if not names:
        return value
    if isinstance(value, list):
        return [_faiths_in(v, names) for v in value]
    if isinstance(value, Mapping) and "key" in value:
        args = {
            name: (
                names.get(arg, arg)
                if name == "faith" and isinstance(arg, str)
                else _faiths_in(arg, names)
            )
            for name, arg in (value.get("args") or {}).items()
        }
        return {**value, "args": args}
    return value


def language_name_in(code: str, lang: str) -> str:
    """A language's name from its code, in ``lang`` ("es" -> "español"); an unknown code as is."""
    key = f"language.{code}"
    if key not in ENGLISH:
        return code
    return said({"key": key, "args": {}}, lang)
