"""The engine's sentences as data: a key and its values, said in English here, in any language
by whoever holds a table of the same keys.

Reasons, near-miss details and suggestions are read by coordinators in the agency's languages,
so the engine does not only write English sentences: each is a :class:`Message`, a ``str``
(the English sentence, so it prints, compares and serialises as before) that also keeps its
``key`` and ``args``. :meth:`Message.to_json` gives ``{"key": ..., "args": {...}}``; the pages
render that with their Spanish table through :func:`render`, and a case system may do the
same with its own.

Templates are ``str.format`` strings over :data:`ENGLISH`'s keys. Values are text (ids, names
from the records: never translated), numbers (formatted by the template's spec, with a
decimal comma where the wording asks for one), nested messages (a language's name, "the
child's") and lists of those, joined for a sentence: ``{ids}`` gives "a, b and c",
``{sexes:or}`` "a or b", ``{parts:;}`` "a; b".
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any, Union

from matching.inputs import MAX_AGE
from matching.languages import LANGUAGE_NAMES

__all__ = [
    "ENGLISH",
    "ENGLISH_WORDING",
    "Message",
    "Wording",
    "age_range",
    "day_said",
    "render",
]

Arg = Union[str, int, float, "Message", Mapping[str, Any], Sequence["Arg"]]

ENGLISH: dict[str, str] = {
    # joining and who
    "parts": "{parts:;}",
    "for_children": "{ids}: {phrase}",
    "who.child": "the child",
    "whose.child": "the child's",
    "whose.id": "{id}'s",
    "whose.children": "the children's",
    "whose.their": "their",
    # factor: kinship
    "kinship.none": "not a kin home",
    "kinship.named.child": "named for this child",
    "kinship.named.all": "named for all {count} children",
    "kinship.named.some": "named for {ids}",
    "kinship.relationship": "{relationship}, {named}",
    "kinship.licensed": "kin: {named}",
    "kinship.provisional": "kin, provisionally approved: {named}",
    # factor: siblings together
    "siblings.all": "takes all {count} siblings together",
    "siblings.part": "takes {taken} of the {count} siblings ({ids}): the group would be split",
    # brothers and sisters who already live in a family home: "her sister C1"
    "possessive.female": "her",
    "possessive.male": "his",
    "possessive.unknown": "their",
    "possessive.female.many": "her",
    "possessive.male.many": "his",
    "possessive.unknown.many": "their",
    "sibling.female": "sister",
    "sibling.male": "brother",
    "sibling.unknown": "sibling",
    "siblings.female": "sisters",
    "siblings.male": "brothers",
    "siblings.unknown": "siblings",
    "sibling.named": "{whose} {sibling} {id}",
    "siblings.named": "{whose} {siblings} {ids}",
    "siblings.here.one": "{siblings} already lives here",
    "siblings.here.many": "{siblings} already live here",
    "siblings.there.one": "{siblings} lives there",
    "siblings.there.many": "{siblings} live there",
    "siblings.elsewhere.one": "{siblings} lives in another home ({home})",
    "siblings.elsewhere.many": "{siblings} live in another home ({home})",
    "siblings.elsewhere.homes": "{siblings} live in other homes ({homes})",
    # factors: same community, distance
    "distance.removal": "{km:.1f} km from the removal address",
    "distance.beyond": "{distance}, beyond the {radius:g} km radius (kin are exempt)",
    "community.unknown": "{distance}; the removal community is not on record",
    "community.outside": "{distance}, outside the agency's communities",
    "community.same": "{distance}, same community: {name}",
    "community.neighbour": "{distance}, neighbouring community: {name}",
    "community.other": "{distance}, another community: {name} (removed in {removed_in})",
    # factor: school
    "school.none": "none of the children it would take has a school of origin on record",
    "school.child": "{km:.1f} km from the school of origin",
    "school.of": "{km:.1f} km from {whose} school",
    # factor: language
    "language.none": "no language on record for the children it would take",
    "language.first": "speaks {first}, {whose} first language",
    "language.other": "speaks {spoken}, another of {whose} languages (first: {first})",
    "language.neither": "does not speak {whose} languages ({names})",
    "language.not_first": "does not speak {first}, {whose} first language",
    # factor: faith and culture
    "faith.none": "no faith or cultural need on record for the children it takes",
    "faith.shares": "shares {whose} faith ({faith})",
    "faith.differs": "does not share {whose} faith ({faith})",
    "culture.offers": "offers {needs}",
    "culture.lacks": "does not offer {needs}",
    # factor: age fit
    "ages.any": "takes any age",
    "ages.range": "takes ages {low}-{high}",
    "age_fit.child": "{takes}; the child is {age}",
    "age_fit.children": "{takes}; the children are {ages}",
    "age_fit.far.child": "{takes}; the child is {age}, far from most of those ages",
    "age_fit.far.children": "{takes}; the children are {ages}, far from most of those ages",
    # factor: capacity fit
    "capacity.only_bed": "uses its only free bed",
    "capacity.all_beds": "uses all {free} free beds",
    "capacity.some_beds": "uses {taken} of {free} free beds (keeps room for a sibling group)",
    "capacity.spare_beds": "uses {taken} of {free} free beds: a sibling group may need this home",
    # factor: freshness
    "freshness.never": "no placement on record",
    "freshness.last": "last took a child {ago}",
    "ago.day": "{n} day ago",
    "ago.days": "{n} days ago",
    "ago.weeks": "{n} weeks ago",
    "ago.month": "{n} month ago",
    "ago.months": "{n} months ago",
    "ago.years": "{n} years ago",
    # factor: load spreading
    "load.none": "no placements in the last year",
    "load.one": "1 placement in the last year",
    "load.many": "{count} placements in the last year",
    # factor: acceptance (the home's answers to the last calls)
    "acceptance.none": "no calls on record",
    "acceptance.only.yes": "accepted the one call on record",
    "acceptance.only.no": "did not accept the one call on record",
    "acceptance.last": "accepted {accepted} of its last {calls} calls",
    # rules: near-miss details and suggestions
    "would.qualify.one": "1 home would qualify",
    "would.qualify.many": "{count} homes would qualify",
    "would.take.one": "1 home would take all {size} children",
    "would.take.many": "{count} homes would take all {size} children",
    "beds.none": "no free bed",
    "beds.one": "1 free bed",
    "beds.many": "{count} free beds",
    "free_beds.child": "{beds}; the child needs 1",
    "free_beds.group": "{beds}; the group needs {size}",
    "free_beds.suggest.child": "{would} with a free bed",
    "free_beds.suggest.one": "{would} with 1 more free bed",
    "free_beds.suggest.many": "{would} with {more} more free beds",
    "max_siblings.detail.one": "takes at most 1 sibling; the group has {size}",
    "max_siblings.detail.many": "takes at most {limit} siblings; the group has {size}",
    "max_siblings.suggest.one": "{would} if it accepted {size} siblings",
    "max_siblings.suggest.many": "{would} if they accepted {size} siblings",
    "sex.female": "female",
    "sex.male": "male",
    "sex.unknown": "of unrecorded sex",
    "sex.is": "{who} is {sex}",
    "sex.detail": "accepts {accepts} children only; {who}",
    "sex.suggest.one": "{would} if it accepted {sexes:or} children",
    "sex.suggest.many": "{would} if they accepted {sexes:or} children",
    "age.infant": "does not take infants (under 1); {who} is under 1",
    "age.outside": "{takes}; {who} is {age}",
    "age.suggest.infant.one": "{would} if it took infants (under 1)",
    "age.suggest.infant.many": "{would} if they took infants (under 1)",
    "age.suggest.one": "{would} if it accepted {ages}",
    "age.suggest.many": "{would} if they accepted {ages}",
    "age.one": "age {ages}",
    "age.many": "ages {ages}",
    "radius.detail": "{km:.1f} km; the radius is {radius:g} km",
    "radius.detail.close": "{km:.3f} km; the radius is {radius:g} km",
    "radius.suggest": "{would} with a {km} km radius",
    "declined.detail": "declined on {day}: {reason}",
    "declined.suggest.one": "1 home declined these children in this episode",
    "declined.suggest.many": "{count} homes declined these children in this episode",
    "on_hold.detail": "said it had no room on {said}; on hold until {until}",
    "on_hold.suggest.one": "{would} if it confirmed a free bed (on hold after no room now)",
    "on_hold.suggest.many": "{would} if they confirmed a free bed (on hold after no room now)",
    "decline.no_capacity_now": "no capacity now",
    "decline.child_needs": "the child's needs",
    "decline.age_or_sex": "age or sex",
    "decline.sibling_group_size": "sibling group size",
    "decline.family_circumstances": "family circumstances",
    "decline.distance": "distance",
    "decline.other": "other reason",
    "day.this_year": "{day} {month}",
    "day.other_year": "{day} {month} {year}",
    "month.1": "January",
    "month.2": "February",
    "month.3": "March",
    "month.4": "April",
    "month.5": "May",
    "month.6": "June",
    "month.7": "July",
    "month.8": "August",
    "month.9": "September",
    "month.10": "October",
    "month.11": "November",
    "month.12": "December",
    # near misses: a kin home, and where a sibling lives
    "near_miss.kin_home": "kin home",
    "near_miss.kin": "{relationship}; {detail}",
    "near_miss.siblings": "{detail}; {siblings}",
    # rules by name, as a sentence names them
    "rule.inactive": "Home active (licensed, or kin provisionally approved)",
    "rule.kin_of_others": "Kin home named for these children",
    "rule.excluded_home": "Home not excluded for the child",
    "rule.declined": "Not declined the child in this episode",
    "rule.on_hold": "Not on hold after saying it has no room now",
    "rule.no_free_bed": "Enough free beds",
    "rule.max_siblings": "Sibling group within the home's limit",
    "rule.sex": "Sex accepted",
    "rule.age_range": "Age within the home's range",
    "rule.needs": "Needs within the home's capabilities",
    "rule.separation": "Safety separations respected",
    "rule.radius": "Within the search radius (kin exempt)",
    "rule.icwa_order": "ICWA placement preference order",
    # ranking: when nothing (or nothing for the whole group) qualifies
    "rank.no_homes": "No home qualifies for {ids}: there are no homes to consider.",
    "rank.none": 'No home qualifies for {ids}: the rule "{rule}" removed the most homes '
    "({removed} of {homes}).",
    "rank.near": "{message} Nearest near misses: {suggestions:;}.",
    "rank.kept_apart": "{a} and {b} must not live together",
    "rank.separation_note": "{a} and {b} must not live together (safety separation): "
    "no home can take the whole group",
    "rank.separated": "No home can take all {size} children together: {pairs:;} "
    "(safety separation). The candidates take parts of the group.",
    "rank.blocker": '"{rule}" {homes}',
    "rank.not_whole": "No home can take all {size} children together; the eligible homes "
    "take part of the group (kept from the whole group by: {blockers:,}).",
    # plan: ICWA conflicts, good cause, families taken out, the baseline
    "conflict.icwa_vs_siblings": "{id} is under ICWA and is proposed only homes of the best "
    "tier with an eligible home for {id} (tier {tier}); keeping {id} with {siblings} in one "
    "home would place {id} below that tier ({homes} such homes): only a court's finding of "
    "good cause allows it",
    "conflict.icwa_vs_kin": "{home} is both {id}'s best ICWA tier (tier {tier}) and a kin "
    "home of {sibling}, who is not under ICWA: {id} is proposed there (ICWA binds; kin "
    "first for a sibling is policy)",
    "conflict.rule_broken": "the plan broke a rule for {ids}: {why}; they were taken out of "
    "the plan, to be placed by hand",
    "good_cause.below_tier": "{id} is under ICWA: this home is tier {tier} while tier {best} "
    "had an eligible home; good cause must be recorded",
    "good_cause.keeps_siblings": "keeps all {size} siblings together, but places {ids} below "
    "the best ICWA tier with an eligible home (here tier {tiers:,}): needs a court's finding "
    "of good cause",
    "plan.is_baseline": "the solver found no plan in the time limit: this is the lawful "
    "baseline (today's practice within the rules)",
    "unplaced.withdrawn": "taken out of the plan: the plan broke a rule for this family "
    "(see the conflicts)",
    # ranking: who waits, how long, and what is coming
    "waiting.line": "{id}: {parts:;}",
    "waiting.days": "waiting {days} days",
    "waiting.unknown": "waiting time not on record",
    "waiting.turns_18": "turns 18 on {date} (in {days} days)",
    "waiting.icwa": "ICWA: best tier {tier} ({home})",
    "waiting.icwa.none": "ICWA: no candidate home in any tier",
    # plan: why a child is not placed
    "unplaced.only_home": "its only eligible home, {home} ({km:.1f} km)",
    "unplaced.best_home": "the best, {home} ({km:.1f} km)",
    "unplaced.free": "{home}, is free, but placing the child there alone would split the "
    "sibling group or break kin first",
    "unplaced.taken": "{home}, went to {ids}",
    "unplaced.all_taken": "its {count} eligible homes were given to other children; {home}, "
    "went to {ids}",
    "unplaced.none": "no eligible home takes this child, with or without the siblings",
}
ENGLISH.update({f"language.{code}": name for code, name in LANGUAGE_NAMES.items()})
ENGLISH["language.code"] = "{code}"  # a code with no name on record


@dataclass(frozen=True)
class Wording:
    """How one language says the engine's messages.

    Attributes
    ----------
    templates
        Key -> ``str.format`` template, for every key of :data:`ENGLISH`.
    and_word, or_word
        What joins the last two items of a list ("a, b and c").
    decimal_comma
        Numbers as ``2,5`` (and thousands as ``1.000``).
    fallback
        Templates for keys missing from ``templates`` (English, for a table that lags).
    euphony
        A joining word -> (the starts of words it changes before, what it becomes): Spanish
        says "español e inglés", "siete u ocho".
    """

    templates: Mapping[str, str]
    and_word: str = "and"
    or_word: str = "or"
    decimal_comma: bool = False
    fallback: Mapping[str, str] = field(default_factory=dict)
    euphony: Mapping[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)

    def joining(self, word: str, following: str) -> str:
        """``word`` as said before ``following`` ("y" before "inglés" is "e")."""
        starts, becomes = self.euphony.get(word, ((), word))
        return becomes if following.lower().startswith(starts) else word

    def template(self, key: str) -> str:
        found = self.templates.get(key)
        if found is None:
            found = self.fallback.get(key)
        if found is None:
            raise KeyError(f"no text for the message key {key!r}")
        return found


ENGLISH_WORDING = Wording(ENGLISH)


@cache
def _parsed(template: str) -> tuple[tuple[str, str | None, str], ...]:
    """A template as (literal text, field name or None, format spec) pieces, parsed once."""
    return tuple(
        (literal, name, spec or "") for literal, name, spec, _ in string.Formatter().parse(template)
    )


def _field(value: Any, spec: str, wording: Wording) -> str:
    if isinstance(value, Message):
        # already said in English when it was made; said again only in another language
        return (
            str.__str__(value) if wording is ENGLISH_WORDING else render(value.to_json(), wording)
        )
    if isinstance(value, Mapping):  # a nested message in its JSON form
        return render(value, wording)
    if isinstance(value, list | tuple):
        words = [_field(v, "", wording) for v in value]
        if spec in (";", ","):
            return f"{spec} ".join(words)
        if len(words) == 1:
            return words[0]
        last = wording.joining(wording.or_word if spec == "or" else wording.and_word, words[-1])
        return f"{', '.join(words[:-1])} {last} {words[-1]}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = format(value, spec)
        if wording.decimal_comma:
            text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
        return text
    return format(value, spec) if spec else str(value)


def _say(template: str, args: Mapping[str, Any], wording: Wording) -> str:
    out = []
    for literal, name, spec in _parsed(template):
        out.append(literal)
        if name is not None:
            out.append(_field(args[name], spec, wording))
    return "".join(out)


def render(message: Mapping[str, Any], wording: Wording = ENGLISH_WORDING) -> str:
    """A message in its JSON form (``{"key", "args"}``), said in ``wording``'s language.

    Raises
    ------
    KeyError
        The key is in neither the wording's templates nor its fallback.
    """
    return _say(wording.template(str(message["key"])), message.get("args") or {}, wording)


def _plain(value: Arg) -> Any:
    if isinstance(value, Message):
        return value.to_json()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class Message(str):
    """An engine sentence: the English text, with the key and values that make it.

    ``Message("ago.days", n=3) == "3 days ago"``. Immutable like any ``str``; ``key`` and
    ``args`` are read-only by convention.
    """

    key: str
    args: Mapping[str, Any]

    def __new__(cls, key: str, /, **args: Arg) -> Message:
        plain: dict[str, Any] = {}
        simple = True  # text, numbers and nested messages (their English already made) only
        for name, value in args.items():
            if isinstance(value, Message):
                plain[name] = value.to_json()
            elif isinstance(value, str | int | float):
                plain[name] = value
            else:  # a list, or a message in its JSON form (unpickled): the joiner says it
                plain[name], simple = _plain(value), False
        template = ENGLISH_WORDING.template(key)
        english = template.format(**args) if simple else _say(template, args, ENGLISH_WORDING)
        self = super().__new__(cls, english)
        self.key = key
        self.args = plain
        return self

    def to_json(self) -> dict[str, Any]:
        """``{"key": ..., "args": {...}}``: nested messages as the same shape, lists as lists."""
        return {"key": self.key, "args": self.args}

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt from the key and plain values (nested messages come back in JSON form)
        return (_message_from_json, (self.key, self.args))

    def __repr__(self) -> str:
        return f"Message({self.key!r}, {str(self)!r})"


def _message_from_json(key: str, args: Mapping[str, Any]) -> Message:
    return Message(key, **args)


def day_said(day: date, today: date) -> Message:
    """A day as a sentence says it: "3 March" this year, "3 March 2025" in another."""
    month = Message(f"month.{day.month}")
    if day.year == today.year:
        return Message("day.this_year", day=str(day.day), month=month)
    return Message("day.other_year", day=str(day.day), month=month, year=str(day.year))


def age_range(low: int, high: int) -> Message:
    """ "takes any age" or "takes ages 11-17": a home's age range as reasons and details say it."""
    if (low, high) == (0, MAX_AGE):
        return Message("ages.any")
    return Message("ages.range", low=low, high=high)
