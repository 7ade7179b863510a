"""Every string of the pages, in English and Spanish, and numbers and dates per language.

:data:`TEXT` is the one translation table: key -> ``{"en": ..., "es": ...}``. Templates call
``t("key", name=value)`` (``str.format`` fields); a key missing from the table is a bug that
the tests catch (every key used in a template is in the table, every entry has both
languages). What the matching engine writes (reasons, near misses, plan reasons) arrives as
keys and values (:mod:`matching.messages`); their Spanish is in :mod:`api.pages.engine_text`,
checked against the engine's English table the same way. The gap map's words are passed into
the map from this table.
"""

from __future__ import annotations

from datetime import date

__all__ = ["LANGUAGES", "TEXT", "format_date", "format_number", "pick_language", "translate"]

LANGUAGES = ("en", "es")
DEFAULT = "en"

TEXT: dict[str, dict[str, str]] = {
    # frame
    "app.name": {"en": "fostermatch", "es": "fostermatch"},
    "skip": {"en": "Skip to the content", "es": "Saltar al contenido"},
    "nav.label": {"en": "Main", "es": "Principal"},
    "nav.children": {"en": "Waiting children", "es": "Niños en espera"},
    "nav.gaps": {"en": "Recruitment gaps", "es": "Déficit de familias"},
    "nav.outcomes": {"en": "Outcomes", "es": "Resultados"},
    "nav.equity": {"en": "Plan equity", "es": "Equidad del plan"},
    "nav.signout": {"en": "Sign out", "es": "Cerrar sesión"},
    "nav.signin": {"en": "Sign in", "es": "Iniciar sesión"},
    "lang.label": {"en": "Language", "es": "Idioma"},
    "lang.apply": {"en": "Change", "es": "Cambiar"},
    "lang.en": {"en": "English", "es": "English (inglés)"},
    "lang.es": {"en": "Español (Spanish)", "es": "Español"},
    "signed_in_as": {"en": "Signed in as {label} ({role})", "es": "Sesión de {label} ({role})"},
    "signed_in_demo": {
        "en": "Signed in with the demo key of the {role}",
        "es": "Sesión con la clave de demostración de {role}",
    },
    "role.admin": {"en": "administrator", "es": "administración"},
    "role.case_system": {"en": "case system", "es": "sistema de casos"},
    "role.monitor": {"en": "monitoring", "es": "monitoreo"},
    "role.coordinator": {"en": "placement coordinator", "es": "coordinación de colocaciones"},
    "role.recruiter": {"en": "recruiter", "es": "reclutamiento"},
    # sign in
    "signin.title": {"en": "Sign in", "es": "Iniciar sesión"},
    "signin.intro": {
        "en": "Sign in with your API key. The key is checked once; the browser keeps a "
        "signed session cookie, never the key.",
        "es": "Inicie sesión con su clave de API. La clave se comprueba una vez; el navegador "
        "guarda una cookie de sesión firmada, nunca la clave.",
    },
    "signin.key": {"en": "API key", "es": "Clave de API"},
    "signin.submit": {"en": "Sign in", "es": "Iniciar sesión"},
    "signin.bad": {
        "en": "The key is unknown or revoked.",
        "es": "La clave es desconocida o ha sido revocada.",
    },
    "signin.stale": {
        "en": "This sign-in form is out of date or did not come from this site: please sign in "
        "again here.",
        "es": "Este formulario de inicio de sesión está caducado o no procede de este sitio: "
        "inicie sesión de nuevo aquí.",
    },
    "signin.expired": {
        "en": "Please sign in to see this page.",
        "es": "Inicie sesión para ver esta página.",
    },
    "signout.done": {"en": "You are signed out.", "es": "Ha cerrado la sesión."},
    # sign in at the agency's identity provider
    "signin.oidc.intro": {
        "en": "Sign in with your account at {name}. Your role here comes from your groups "
        "there; the browser keeps a signed session cookie for 8 hours.",
        "es": "Inicie sesión con su cuenta de {name}. Su rol aquí viene de sus grupos allí; "
        "el navegador guarda una cookie de sesión firmada durante 8 horas.",
    },
    "signin.oidc.button": {"en": "Sign in with {name}", "es": "Iniciar sesión con {name}"},
    "oidc.again": {"en": "Back to sign in", "es": "Volver a iniciar sesión"},
    "oidc.failed.title": {"en": "Not signed in", "es": "Sesión no iniciada"},
    "oidc.failed": {
        "en": "{name} did not sign you in ({reason}). Nobody is signed in; please start again.",
        "es": "{name} no inició su sesión ({reason}). No hay ninguna sesión abierta; "
        "vuelva a empezar.",
    },
    "oidc.stale": {
        "en": "This sign-in was not started here, or it took longer than 10 minutes. Nobody is "
        "signed in; please start again.",
        "es": "Este inicio de sesión no empezó aquí o tardó más de 10 minutos. No hay ninguna "
        "sesión abierta; vuelva a empezar.",
    },
    "oidc.unavailable": {
        "en": "{name} cannot be reached right now. Please try again in a minute.",
        "es": "No se puede contactar con {name} en este momento. Inténtelo de nuevo en un minuto.",
    },
    "oidc.norole.title": {"en": "No role in fostermatch", "es": "Sin rol en fostermatch"},
    "oidc.norole": {
        "en": "You signed in at {name}, but none of your groups there gives a role in "
        "fostermatch, so nothing can be shown. Ask your administrator to add you to the "
        "group for your work (coordinator, recruiter, ...).",
        "es": "Ha iniciado sesión en {name}, pero ninguno de sus grupos allí da un rol en "
        "fostermatch, así que no se puede mostrar nada. Pida a su administración que le "
        "añada al grupo de su trabajo (coordinación, reclutamiento, ...).",
    },
    # errors
    "denied.title": {"en": "Not allowed", "es": "No permitido"},
    "denied.body": {
        "en": "The role {role} may not see this page.",
        "es": "El rol {role} no puede ver esta página.",
    },
    "notfound.title": {"en": "Not found", "es": "No encontrado"},
    "notfound.body": {
        "en": "There is no such record, or it is not in care.",
        "es": "No existe ese registro, o no está bajo cuidado.",
    },
    "bad.title": {"en": "Cannot show this", "es": "No se puede mostrar"},
    "form.token.title": {"en": "Form out of date", "es": "Formulario caducado"},
    # children list
    "children.title": {"en": "Waiting children", "es": "Niños en espera"},
    "children.count": {
        "en": "{shown} of {total} waiting children",
        "es": "{shown} de {total} niños en espera",
    },
    "children.none": {"en": "No waiting child matches.", "es": "Ningún niño en espera coincide."},
    "children.order": {
        "en": "Longest waiting first: children who have waited longest for a family home come "
        "first.",
        "es": "Primero quien más espera: los niños que llevan más tiempo esperando un hogar de "
        "familia aparecen primero.",
    },
    "filter.legend": {"en": "Search and filters", "es": "Búsqueda y filtros"},
    "filter.q": {"en": "Child id", "es": "Identificador del niño"},
    "filter.age": {"en": "Age band", "es": "Franja de edad"},
    "filter.siblings": {"en": "Sibling group", "es": "Grupo de hermanos"},
    "filter.siblings.alone": {"en": "Alone", "es": "Sin hermanos"},
    "filter.siblings.group": {"en": "With siblings", "es": "Con hermanos"},
    "filter.community": {
        "en": "Removal community",
        "es": "Comunidad del domicilio del que fue separado/a",
    },
    "filter.setting": {"en": "Where now", "es": "Dónde está ahora"},
    "filter.days": {"en": "Waiting at least (days)", "es": "En espera al menos (días)"},
    "filter.days.bad": {
        "en": "“{value}” is not a number of days: enter a whole number (0 or more); "
        "the list below is not filtered by days",
        "es": "«{value}» no es un número de días: escriba un número entero (0 o más); "
        "la lista no está filtrada por días",
    },
    "filter.any": {"en": "Any", "es": "Cualquiera"},
    "filter.apply": {"en": "Apply", "es": "Aplicar"},
    "filter.reset": {"en": "Clear", "es": "Borrar"},
    "col.child": {"en": "Child", "es": "Niño"},
    "col.age": {"en": "Age", "es": "Edad"},
    "col.siblings": {"en": "Siblings waiting", "es": "Hermanos en espera"},
    "col.community": {"en": "Community", "es": "Comunidad"},
    "col.setting": {"en": "Where now", "es": "Dónde está"},
    "col.days": {"en": "Days waiting", "es": "Días en espera"},
    "setting.none": {"en": "no placement", "es": "sin colocación"},
    "setting.shelter": {"en": "shelter", "es": "albergue"},
    "setting.group_home": {"en": "group home", "es": "hogar grupal"},
    "setting.institution": {"en": "institution", "es": "institución"},
    "setting.independent_living": {"en": "independent living", "es": "vida independiente"},
    "setting.runaway": {"en": "runaway", "es": "fugado"},
    "setting.trial_home_visit": {"en": "trial home visit", "es": "visita de prueba al hogar"},
    "setting.foster_home": {"en": "foster home", "es": "hogar de acogida"},
    "setting.kin_home": {"en": "kin home", "es": "hogar de familiares"},
    "setting.pre_adoptive": {"en": "pre-adoptive home", "es": "hogar preadoptivo"},
    # child page
    "child.title": {"en": "Child {id}", "es": "Niño {id}"},
    "child.facts": {
        "en": "Age {age}; removed in {community} on {removed}.",
        "es": "Edad {age}; separado/a de su domicilio en {community} el {removed}.",
    },
    "waiting.label": {"en": "Waiting", "es": "Espera"},
    "waiting.days": {
        "en": "{id}: waiting {days} days for a family home",
        "es": "{id}: en espera de un hogar de familia desde hace {days} días",
    },
    "waiting.unknown": {
        "en": "{id}: no waiting time on record",
        "es": "{id}: no consta tiempo de espera",
    },
    "waiting.turns18": {
        "en": "turns 18 on {date} (in {days} days)",
        "es": "cumple 18 años el {date} (dentro de {days} días)",
    },
    "waiting.icwa": {
        "en": "ICWA: best tier on offer {tier} (home {home})",
        "es": "ICWA: mejor nivel disponible {tier} (hogar {home})",
    },
    "waiting.icwa.none": {
        "en": "ICWA: no candidate home in any tier",
        "es": "ICWA: ningún hogar candidato en ningún nivel",
    },
    "child.group": {
        "en": "Matched together with: {ids}",
        "es": "Emparejado junto con: {ids}",
    },
    "child.lives.title": {"en": "Where the child lives", "es": "Dónde vive"},
    "child.lives_in": {
        "en": "{child} lives in home {home} since {since} ({days} days): placed in a family "
        "home, not waiting.",
        "es": "{child} vive en el hogar {home} desde el {since} ({days} días): colocado/a en "
        "un hogar de familia, no en espera.",
    },
    "child.lives_with": {
        "en": "Placed together with their siblings {ids}, who live in home {home} too.",
        "es": "Colocado/a junto con sus hermanos {ids}, que también viven en el hogar {home}.",
    },
    "child.capacity_waiver": {
        "en": "The home has {children} children in {beds} beds (capacity waiver: {reason}).",
        "es": "El hogar tiene {children} niños en {beds} camas (excepción de capacidad: {reason}).",
    },
    "child.homes": {"en": "Ranked homes", "es": "Hogares por orden"},
    "child.homes.move": {
        "en": "Ranked homes for a move",
        "es": "Hogares por orden para un traslado",
    },
    "child.order.group": {
        "en": "The order: kin homes of these children first, then homes that take the whole "
        "sibling group, then the others; within each, the highest score first. So a home "
        "that takes all the siblings can rank above one with a higher score that takes only "
        "some of them.",
        "es": "El orden: primero los hogares de familiares de estos niños, después los hogares "
        "que acogen a todo el grupo de hermanos, después los demás; dentro de cada uno, la "
        "puntuación más alta primero. Por eso un hogar que acoge a todos los hermanos puede "
        "ir por delante de otro con más puntuación que solo acoge a algunos.",
    },
    "child.order.one": {
        "en": "The order: kin homes of this child first, then the others; within each, the "
        "highest score first.",
        "es": "El orden: primero los hogares de familiares de este niño, después los demás; "
        "dentro de cada uno, la puntuación más alta primero.",
    },
    "child.takes": {"en": "Takes {ids}.", "es": "Acoge a {ids}."},
    "child.left": {"en": "Still waiting: {ids}.", "es": "Seguirían en espera: {ids}."},
    # ICWA
    "icwa.title": {"en": "ICWA applies", "es": "Se aplica la ICWA"},
    "icwa.applies": {
        "en": "The Indian Child Welfare Act applies to {ids}. Homes are proposed in its "
        "placement preference order (25 U.S.C. 1915(b)): a lower tier only when no home of a "
        "higher tier is available. The tiers:",
        "es": "La Ley de Bienestar del Niño Indígena (ICWA) se aplica a {ids}. Los hogares se "
        "proponen en su orden de preferencia de colocación (25 U.S.C. 1915(b)): un nivel "
        "inferior solo cuando no hay ningún hogar disponible de un nivel superior. Los niveles:",
    },
    "icwa.tier1": {
        "en": "Tier 1: a member of the child's extended family.",
        "es": "Nivel 1: un miembro de la familia extensa del niño.",
    },
    "icwa.tier2": {
        "en": "Tier 2: a foster home licensed, approved or specified by the child's tribe.",
        "es": "Nivel 2: un hogar de acogida con licencia, aprobado o designado por la tribu "
        "del niño.",
    },
    "icwa.tier3": {
        "en": "Tier 3: an Indian foster home licensed or approved by a non-Indian licensing "
        "authority.",
        "es": "Nivel 3: un hogar de acogida indígena con licencia o aprobado por una autoridad "
        "no indígena.",
    },
    "icwa.tier4": {
        "en": "Tier 4: an institution for children approved by an Indian tribe or run by an "
        "Indian organisation.",
        "es": "Nivel 4: una institución para niños aprobada por una tribu indígena o dirigida "
        "por una organización indígena.",
    },
    "icwa.engine": {
        "en": "Here a family home in none of the first three tiers is shown as tier 4: below "
        "every preference of the Act.",
        "es": "Aquí un hogar de familia que no está en ninguno de los tres primeros niveles "
        "aparece como nivel 4: por debajo de todas las preferencias de la ley.",
    },
    "icwa.good_cause": {
        "en": "Good cause: the team may depart from this order only for good cause, found on "
        "the record (25 CFR 23.132): the request of the parents, or of the child when old "
        "enough; a sibling attachment that only this placement can keep; the child's "
        "extraordinary physical, mental or emotional needs; or no suitable home of the "
        "preferred tiers after a diligent search. The decision then records the good cause.",
        "es": "Causa justificada: el equipo solo puede apartarse de este orden por una causa "
        "justificada que conste en el expediente (25 CFR 23.132): la petición de los padres, o "
        "del niño si tiene edad suficiente; un vínculo entre hermanos que solo esta colocación "
        "puede mantener; necesidades físicas, mentales o emocionales extraordinarias del niño; "
        "o que no haya ningún hogar adecuado de los niveles preferentes tras una búsqueda "
        "diligente. La decisión registra entonces la causa justificada.",
    },
    "child.eligible": {
        "en": "{eligible} homes qualify; the best {shown} are shown.",
        "es": "{eligible} hogares cumplen; se muestran los {shown} mejores.",
    },
    "child.nohomes": {
        "en": "No home qualifies for this child now.",
        "es": "Ningún hogar cumple ahora para este niño.",
    },
    "child.rank": {"en": "Rank {rank}: home {home}", "es": "Puesto {rank}: hogar {home}"},
    "child.score": {"en": "Score {score}", "es": "Puntuación {score}"},
    "child.distance": {"en": "{km} km away", "es": "a {km} km"},
    "child.freebeds": {"en": "Free beds: {n}", "es": "Camas libres: {n}"},
    "badge.kin": {"en": "Kin", "es": "Familiar"},
    "badge.icwa": {"en": "ICWA tier {tier}", "es": "ICWA nivel {tier}"},
    "badge.allsiblings": {"en": "Takes all siblings", "es": "Acoge a todos los hermanos"},
    "badge.notallsiblings": {
        "en": "Does not take all siblings",
        "es": "No acoge a todos los hermanos",
    },
    "badge.provisional": {"en": "Not licensed yet", "es": "Sin licencia aún"},
    "factors": {"en": "Why this home", "es": "Por qué este hogar"},
    "reasons.for": {"en": "For this home", "es": "A favor de este hogar"},
    "reasons.against": {"en": "Against it", "es": "En contra"},
    "reasons.none": {"en": "Nothing of note", "es": "Nada destacable"},
    "factor.col": {"en": "Factor", "es": "Factor"},
    "factor.points": {"en": "Points", "es": "Puntos"},
    "factor.reason": {"en": "Reason", "es": "Motivo"},
    "factor.kinship": {"en": "Kinship", "es": "Parentesco"},
    "factor.siblings_together": {"en": "Siblings together", "es": "Hermanos juntos"},
    "factor.same_community": {"en": "Same community", "es": "Misma comunidad"},
    "factor.distance": {"en": "Distance", "es": "Distancia"},
    "factor.school": {"en": "School of origin", "es": "Escuela de origen"},
    "factor.language": {"en": "Language", "es": "Idioma"},
    "factor.faith_culture": {"en": "Faith and culture", "es": "Fe y cultura"},
    "factor.age_fit": {"en": "Age fit", "es": "Ajuste de edad"},
    "factor.capacity_fit": {"en": "Capacity fit", "es": "Ajuste de capacidad"},
    "factor.freshness": {"en": "Freshness", "es": "Disponibilidad reciente"},
    "factor.load_spreading": {"en": "Load spreading", "es": "Reparto de carga"},
    "excluded.title": {"en": "What removed the other homes", "es": "Qué descartó a los demás"},
    "excluded.rule": {"en": "Rule", "es": "Regla"},
    "excluded.homes": {"en": "Homes removed", "es": "Hogares descartados"},
    "rule.inactive": {"en": "Not active", "es": "No activo"},
    "rule.kin_of_others": {"en": "Kin of other children", "es": "Familiar de otros niños"},
    "rule.excluded_home": {"en": "Excluded for this child", "es": "Excluido para este niño"},
    "rule.no_free_bed": {"en": "No free bed", "es": "Sin cama libre"},
    "rule.max_siblings": {"en": "Too many siblings", "es": "Demasiados hermanos"},
    "rule.sex": {"en": "Sex accepted", "es": "Sexo aceptado"},
    "rule.age_range": {"en": "Age range", "es": "Rango de edad"},
    "rule.needs": {"en": "Needs not met", "es": "Necesidades no cubiertas"},
    "rule.separation": {"en": "Kept apart", "es": "Separación requerida"},
    "rule.radius": {"en": "Too far", "es": "Demasiado lejos"},
    "rule.icwa_order": {"en": "ICWA order", "es": "Orden ICWA"},
    "map.title": {
        "en": "Removal community, its neighbours and the candidate homes",
        "es": "Comunidad del domicilio del que fue separado/a, sus vecinas y los hogares "
        "candidatos",
    },
    "map.removal": {
        "en": "removal community",
        "es": "comunidad del domicilio del que fue separado/a",
    },
    "map.home": {"en": "Rank {rank}: home {home}", "es": "Puesto {rank}: hogar {home}"},
    "map.far": {
        "en": "Rank {rank}: home {home}, {km} km away, beyond the map's edge",
        "es": "Puesto {rank}: hogar {home}, a {km} km, más allá del borde del mapa",
    },
    "map.far.title": {
        "en": "Beyond the map (arrows on its edge point to them)",
        "es": "Más allá del mapa (las flechas en su borde los señalan)",
    },
    "map.far.home": {
        "en": "Rank {rank}: home {home}, {km} km from the removal address",
        "es": "Puesto {rank}: hogar {home}, a {km} km del domicilio del que fue separado/a",
    },
    "map.legend": {
        "en": "Dark outline: removal community. Numbers: candidate homes by rank.",
        "es": "Contorno oscuro: comunidad del domicilio del que fue separado/a. Números: "
        "hogares candidatos por puesto.",
    },
    "map.none": {"en": "No map: no communities on record.", "es": "Sin mapa: no hay comunidades."},
    "near.title": {"en": "Nearest near misses", "es": "Los que casi cumplen"},
    "near.intro": {
        "en": "Homes that fail one rule a family could agree to relax, nearest first.",
        "es": "Hogares que no cumplen una sola regla que la familia podría flexibilizar, "
        "los más cercanos primero.",
    },
    "near.home": {"en": "Home", "es": "Hogar"},
    "near.rule": {"en": "Rule it fails", "es": "Regla que no cumple"},
    "near.detail": {"en": "By how much", "es": "Por cuánto"},
    # decision form
    "decide.title": {"en": "Team decision", "es": "Decisión del equipo"},
    "decide.participants": {"en": "Who took part", "es": "Quién participó"},
    "decide.home": {"en": "Chosen home", "es": "Hogar elegido"},
    "decide.home.option": {
        "en": "Home {home} (rank {rank})",
        "es": "Hogar {home} (puesto {rank})",
    },
    "decide.home.places": {"en": "places {ids}", "es": "coloca a {ids}"},
    "decide.home.waits": {"en": "still waiting: {ids}", "es": "seguirían en espera: {ids}"},
    "decide.title.move": {
        "en": "Move {child} to another home",
        "es": "Trasladar a {child} a otro hogar",
    },
    "decide.move.intro": {
        "en": "{child} is placed in home {home}. Recording a move ends that placement; the team "
        "says why.",
        "es": "{child} está colocado/a en el hogar {home}. Registrar un traslado pone fin a esa "
        "colocación; el equipo indica el motivo.",
    },
    "decide.move.split": {
        "en": "Moving {child} alone separates them from {ids}, placed together with them in "
        "home {home} (since {since}). Say in the reason why the siblings must live apart.",
        "es": "Trasladar solo a {child} lo/la separa de {ids}, colocados junto con él/ella en "
        "el hogar {home} (desde el {since}). Indique en el motivo por qué los hermanos deben "
        "vivir separados.",
    },
    "decide.reason.move": {
        "en": "Reason for the move (required)",
        "es": "Motivo del traslado (obligatorio)",
    },
    "decide.submit.move": {"en": "Record the move", "es": "Registrar el traslado"},
    "decide.error.reason.rank": {
        "en": "Not recorded: give a reason. Home {home} is not the first-ranked home "
        "({top}), so the team says why it chose it.",
        "es": "No se registró: indique un motivo. El hogar {home} no es el primero de la lista "
        "({top}), así que el equipo indica por qué lo eligió.",
    },
    "decide.error.reason.move": {
        "en": "Not recorded: give a reason. The decision moves {child} out of home {home}, "
        "where they live now, so the team says why.",
        "es": "No se registró: indique un motivo. La decisión traslada a {child} fuera del "
        "hogar {home}, donde vive ahora, así que el equipo indica por qué.",
    },
    "decide.error.participants.caseworker": {
        "en": "Not recorded: tick the caseworker. A team decision needs a caseworker among "
        "those who took part.",
        "es": "No se registró: marque al trabajador social. Una decisión del equipo necesita "
        "un trabajador social entre los participantes.",
    },
    "decide.error.participants.invalid": {
        "en": "Not recorded: tick who took part (at least the caseworker).",
        "es": "No se registró: marque quién participó (al menos el trabajador social).",
    },
    "decide.error.home.invalid": {
        "en": "Not recorded: the chosen home {home} cannot be used for this decision. Choose a "
        "home from the list as it is now.",
        "es": "No se registró: el hogar elegido {home} no puede usarse para esta decisión. "
        "Elija un hogar de la lista tal como está ahora.",
    },
    "decide.error.home.unknown": {
        "en": "Not recorded: home {home} is not among the homes shown on this page. Choose a "
        "home from the list.",
        "es": "No se registró: el hogar {home} no está entre los hogares que muestra esta "
        "página. Elija un hogar de la lista.",
    },
    "decide.error.home.closed": {
        "en": "Not recorded: home {home} is closed. Choose another home from the list.",
        "es": "No se registró: el hogar {home} está cerrado. Elija otro hogar de la lista.",
    },
    "decide.error.home.inactive": {
        "en": "Not recorded: home {home} takes no child now (it is not active). Choose another "
        "home from the list.",
        "es": "No se registró: el hogar {home} no acoge a ningún niño ahora (no está activo). "
        "Elija otro hogar de la lista.",
    },
    "decide.error.home.taken": {
        "en": "Not recorded: home {home} has {free} free beds now and this choice needs "
        "{needed}; another decision took the bed after this page was shown. The list below is "
        "up to date: choose again.",
        "es": "No se registró: el hogar {home} tiene ahora {free} camas libres y esta elección "
        "necesita {needed}; otra decisión ocupó la cama después de mostrarse esta página. La "
        "lista de abajo está al día: elija de nuevo.",
    },
    "decide.error.home.moved": {
        "en": "Not recorded: {child} was placed in home {home} after this page was shown. The "
        "page below shows where {child} lives now.",
        "es": "No se registró: {child} fue colocado/a en el hogar {home} después de mostrarse "
        "esta página. La página de abajo muestra dónde vive ahora.",
    },
    "decide.error.home.moved_out": {
        "en": "Not recorded: the child no longer lives in home {home}. The page below shows "
        "where the child is now.",
        "es": "No se registró: el niño ya no vive en el hogar {home}. La página de abajo "
        "muestra dónde está ahora.",
    },
    "decide.error.home.same": {
        "en": "Not recorded: {ids} already live(s) in home {home}. Choose another home.",
        "es": "No se registró: {ids} ya vive(n) en el hogar {home}. Elija otro hogar.",
    },
    "decide.error.home.not_in_care": {
        "en": "Not recorded: {ids} is no longer in care.",
        "es": "No se registró: {ids} ya no está bajo cuidado.",
    },
    "decide.error.home.changed": {
        "en": "Not recorded: the records changed while the decision was being written. The "
        "page below is up to date: choose again.",
        "es": "No se registró: los registros cambiaron mientras se escribía la decisión. La "
        "página de abajo está al día: elija de nuevo.",
    },
    "decide.error.reason.invalid": {
        "en": "Not recorded: the reason can have at most 2,000 characters of text.",
        "es": "No se registró: el motivo puede tener como mucho 2.000 caracteres de texto.",
    },
    "decide.error.icwa_good_cause.invalid": {
        "en": "Not recorded: the ICWA good cause can have at most 2,000 characters of text.",
        "es": "No se registró: la causa justificada ICWA puede tener como mucho 2.000 "
        "caracteres de texto.",
    },
    "decide.error.started_on.invalid": {
        "en": "Not recorded: the start date is not a date the records can hold.",
        "es": "No se registró: la fecha de inicio no es una fecha que los registros admitan.",
    },
    "decide.error.started_on.future": {
        "en": "Not recorded: the start date is after today. A placement starts today or earlier.",
        "es": "No se registró: la fecha de inicio es posterior a hoy. Una colocación empieza "
        "hoy o antes.",
    },
    "decide.error.started_on.early": {
        "en": "Not recorded: the start date is before the removal of {ids} or before the start "
        "of where they are now. Choose a later day.",
        "es": "No se registró: la fecha de inicio es anterior a la separación de {ids} o al "
        "inicio de donde está ahora. Elija un día posterior.",
    },
    "decide.reason": {
        "en": "Reason (required when the chosen home is not rank 1)",
        "es": "Motivo (obligatorio si el hogar elegido no es el puesto 1)",
    },
    "decide.icwa": {
        "en": "ICWA good cause (required when departing from the ICWA order)",
        "es": "Causa justificada ICWA (obligatoria si se aparta del orden ICWA)",
    },
    "decide.submit": {"en": "Record the decision", "es": "Registrar la decisión"},
    "decide.forbidden": {
        "en": "Your role may not record decisions.",
        "es": "Su rol no puede registrar decisiones.",
    },
    "participant.caseworker": {"en": "Caseworker", "es": "Trabajador social"},
    "participant.birth_parent": {"en": "Birth parent", "es": "Madre o padre biológico"},
    "participant.youth": {"en": "Youth", "es": "Joven"},
    "participant.caregiver": {"en": "Caregiver", "es": "Cuidador"},
    "participant.community_member": {"en": "Community member", "es": "Miembro de la comunidad"},
    "participant.tribe_representative": {
        "en": "Tribe representative",
        "es": "Representante de la tribu",
    },
    "decided.title": {"en": "Decision recorded", "es": "Decisión registrada"},
    "decided.placed": {
        "en": "{child} is placed in home {home} from {day}.",
        "es": "{child} queda colocado/a en el hogar {home} desde el {day}.",
    },
    "decided.rank": {"en": "Rank {rank} of the ranking.", "es": "Puesto {rank} de la lista."},
    "decided.top": {
        "en": "The first-ranked home was {home}.",
        "es": "El primer hogar de la lista era {home}.",
    },
    "decided.beds": {
        "en": "Home {home} now has {n} free beds.",
        "es": "El hogar {home} tiene ahora {n} camas libres.",
    },
    "decided.still_waiting": {
        "en": "Still waiting from the sibling group: {ids}.",
        "es": "Siguen en espera del grupo de hermanos: {ids}.",
    },
    "decided.number": {"en": "Decision number {id}.", "es": "Decisión número {id}."},
    "decided.when": {"en": "Recorded on {day}.", "es": "Registrada el {day}."},
    "decided.reason": {"en": "Reason", "es": "Motivo"},
    "decided.none": {"en": "none given", "es": "ninguno"},
    "decided.good_cause": {"en": "ICWA good cause", "es": "Causa justificada ICWA"},
    "decided.options": {"en": "Homes shown to the team", "es": "Hogares mostrados al equipo"},
    "decided.child": {"en": "Child {child}", "es": "Niño {child}"},
    "decided.back": {"en": "Back to the waiting children", "es": "Volver a los niños en espera"},
    # paging, start date, form token
    "children.rows": {
        "en": "Rows {first}–{last} of {count}",
        "es": "Filas {first}–{last} de {count}",
    },
    "children.pages": {"en": "Pages of the list", "es": "Páginas de la lista"},
    "children.page": {"en": "Page {page} of {pages}", "es": "Página {page} de {pages}"},
    "children.previous": {"en": "Previous", "es": "Anterior"},
    "children.next": {"en": "Next", "es": "Siguiente"},
    "decide.started_on": {
        "en": "Placement starts on (today or earlier)",
        "es": "La colocación empieza el (hoy o antes)",
    },
    "decide.started_on.bad": {
        "en": "Not recorded: “{value}” is not a date. Give the start date as year-month-day, "
        "for example {example}.",
        "es": "No se registró: «{value}» no es una fecha. Indique la fecha de inicio como "
        "año-mes-día, por ejemplo {example}.",
    },
    "decide.icwa.missing": {
        "en": "Not recorded: the chosen home departs from the ICWA placement preference order, "
        "so the ICWA good cause is required.",
        "es": "No se registró: el hogar elegido se aparta del orden de preferencia de ICWA, "
        "por lo que la causa justificada ICWA es obligatoria.",
    },
    "form.token.bad": {
        "en": "Nothing was changed: this form is out of date or did not come from this site. "
        "Open the page again and resend the form.",
        "es": "No se cambió nada: este formulario está caducado o no procede de este sitio. "
        "Vuelva a abrir la página y envíe el formulario de nuevo.",
    },
    "form.origin.title": {"en": "Form from another site", "es": "Formulario de otro sitio"},
    "form.origin.bad": {
        "en": "Nothing was changed: this form was sent from {origin}, not from this site. "
        "Open the page on this site and send the form from there.",
        "es": "No se cambió nada: este formulario se envió desde {origin}, no desde este "
        "sitio. Abra la página en este sitio y envíe el formulario desde allí.",
    },
    # gaps
    "gaps.title": {"en": "Recruitment gaps", "es": "Déficit de familias"},
    "gaps.intro": {
        "en": "Homes needed minus homes expected, {horizon} months from {as_of}. "
        "Figures for 1 to {threshold} children are suppressed.",
        "es": "Hogares necesarios menos hogares previstos, a {horizon} meses desde el {as_of}. "
        "Las cifras de 1 a {threshold} niños se omiten.",
    },
    "gaps.segment": {"en": "Segment", "es": "Segmento"},
    "gaps.horizon": {"en": "Horizon (months)", "es": "Horizonte (meses)"},
    "gaps.show": {"en": "Show", "es": "Mostrar"},
    "gaps.map": {"en": "Gap map", "es": "Mapa del déficit"},
    "gaps.map.hint": {
        "en": "Point at a community for its figures, or press Tab to move through the "
        "communities and Enter to open a community's page; the table of the largest gaps has "
        "the same figures.",
        "es": "Señale una comunidad para ver sus cifras, o pulse Tab para recorrer las "
        "comunidades y Enter para abrir la página de una comunidad; la tabla de los mayores "
        "déficits tiene las mismas.",
    },
    "gaps.largest": {"en": "Largest gaps", "es": "Mayores déficits"},
    "gaps.none": {"en": "No published gap.", "es": "Ningún déficit publicado."},
    "gaps.col.community": {"en": "Community", "es": "Comunidad"},
    "gaps.col.gap": {"en": "Gap (homes)", "es": "Déficit (hogares)"},
    "gaps.col.interval": {"en": "Interval", "es": "Intervalo"},
    "gaps.col.target": {"en": "Recruitment target", "es": "Meta de reclutamiento"},
    "gaps.col.homes": {"en": "Homes now", "es": "Hogares hoy"},
    "gaps.col.need": {"en": "Homes needed", "es": "Hogares necesarios"},
    "gaps.col.segment": {"en": "Segment", "es": "Segmento"},
    "gaps.suppressed": {"en": "suppressed", "es": "omitido"},
    "gaps.downloads": {"en": "Downloads", "es": "Descargas"},
    "gaps.csv": {"en": "Table (CSV)", "es": "Tabla (CSV)"},
    "gaps.geojson": {"en": "Map data (GeoJSON)", "es": "Datos del mapa (GeoJSON)"},
    "gaps.svg": {"en": "Map (SVG)", "es": "Mapa (SVG)"},
    "segment.all": {"en": "All children", "es": "Todos los niños"},
    "segment.age:0-5": {"en": "Ages 0-5", "es": "Edades 0-5"},
    "segment.age:6-12": {"en": "Ages 6-12", "es": "Edades 6-12"},
    "segment.age:13-17": {"en": "Ages 13-17", "es": "Edades 13-17"},
    "segment.siblings:1": {"en": "Single children", "es": "Niños sin hermanos"},
    "segment.siblings:2": {"en": "Pairs of siblings", "es": "Parejas de hermanos"},
    "segment.siblings:3+": {"en": "Three or more siblings", "es": "Tres o más hermanos"},
    "segment.needs:none": {"en": "No special needs", "es": "Sin necesidades especiales"},
    "segment.needs:medical": {"en": "Medical needs", "es": "Necesidades médicas"},
    "segment.needs:behavioral": {"en": "Behavioral needs", "es": "Necesidades conductuales"},
    "segment.needs:developmental": {
        "en": "Developmental needs",
        "es": "Necesidades del desarrollo",
    },
    "segment.needs:therapeutic": {
        "en": "Therapeutic care needs",
        "es": "Necesidades de cuidado terapéutico",
    },
    "segment.language": {
        "en": "Speaking {language} first",
        "es": "Con {language} como primera lengua",
    },
    "gaps.map.open": {"en": "Open the community's page", "es": "Abrir la página de la comunidad"},
    "gaps.map.label": {
        "en": "Interactive gap map: drag or use the arrow keys to pan, + and - to zoom",
        "es": "Mapa interactivo del déficit: arrastre o use las flechas para moverse, + y - "
        "para acercar o alejar",
    },
    "gaps.map.live_hint": {
        "en": "Click a community, or press Tab to reach it and Enter, for its figures and a "
        "link to its page. The table of the largest gaps has the same figures.",
        "es": "Haga clic en una comunidad, o llegue a ella con Tab y pulse Enter, para ver sus "
        "cifras y un enlace a su página. La tabla de los mayores déficits tiene las mismas.",
    },
    "gaps.legend": {
        "en": "Homes short, the same classes for every segment",
        "es": "Hogares que faltan, las mismas clases para todos los segmentos",
    },
    # gap map (inside the SVG)
    "gapmap.heading": {
        "en": "Recruitment gap, {segment}: homes needed minus homes expected "
        "({horizon} months from {as_of})",
        "es": "Déficit de familias, {segment}: hogares necesarios menos hogares previstos "
        "(a {horizon} meses desde el {as_of})",
    },
    "gapmap.community": {"en": "{name} ({id})", "es": "{name} ({id})"},
    "gapmap.no_figures": {"en": "{community}: no figures", "es": "{community}: sin cifras"},
    "gapmap.tip.suppressed": {
        "en": "{segment}: figures suppressed (1 to {threshold} children)",
        "es": "{segment}: cifras omitidas (de 1 a {threshold} niños)",
    },
    "gapmap.tip.homes": {"en": "homes now {homes}", "es": "hogares hoy: {homes}"},
    "gapmap.tip.segment": {
        "en": "{segment}, {horizon} months ahead",
        "es": "{segment}, a {horizon} meses",
    },
    "gapmap.tip.gap": {
        "en": "gap {gap} homes (interval {low} to {high})",
        "es": "déficit de {gap} hogares (intervalo de {low} a {high})",
    },
    "gapmap.tip.need": {
        "en": "need {need} homes for {children} children expected in non-kin family care",
        "es": "se necesitan {need} hogares para {children} niños previstos en hogares de "
        "acogida que no son de familiares",
    },
    "gapmap.tip.supply": {
        "en": "homes now {homes}, expected closures {closures}, pipeline {pipeline}",
        "es": "hogares hoy: {homes}, cierres previstos: {closures}, familias en trámite: "
        "{pipeline}",
    },
    "gapmap.tip.recruit": {
        "en": "recruit {target} homes ({inquiries} inquiries)",
        "es": "reclutar {target} hogares ({inquiries} consultas)",
    },
    "gapmap.tip.unmet": {
        "en": "waiting now with no qualifying home: {unmet} (most often: {rule})",
        "es": "en espera hoy sin un hogar que cumpla los requisitos: {unmet} "
        "(motivo más frecuente: {rule})",
    },
    "gapmap.legend.title": {"en": "Gap, {segment}", "es": "Déficit, {segment}"},
    "gapmap.legend.subtitle": {
        "en": "homes needed minus homes expected",
        "es": "hogares necesarios menos hogares previstos",
    },
    "gapmap.class.spare_many": {
        "en": "{low} or more homes to spare",
        "es": "{low} o más hogares de sobra",
    },
    "gapmap.class.spare": {
        "en": "{low} to {high} homes to spare",
        "es": "de {low} a {high} hogares de sobra",
    },
    "gapmap.class.even": {
        "en": "about even (0 homes short)",
        "es": "en equilibrio (faltan 0 hogares)",
    },
    "gapmap.class.short": {
        "en": "{low} to {high} homes short",
        "es": "faltan de {low} a {high} hogares",
    },
    "gapmap.class.short_many": {
        "en": "{low} or more homes short",
        "es": "faltan {low} o más hogares",
    },
    "gapmap.suppressed": {"en": "suppressed", "es": "omitido"},
    "gapmap.notes": {  # one line of the narrow legend per \n
        "en": "Grey, hatched: figures from 1 to {threshold}\nchildren are not published.\n"
        "Hover a community for its figures.\n"
        "Service level {service_level}%; interval {interval}%.",
        "es": "Gris, rayado: no se publican las cifras\nde 1 a {threshold} niños.\n"
        "Señale una comunidad para ver sus cifras.\n"
        "Nivel de servicio {service_level}%; intervalo {interval}%.",
    },
    # plans
    "nav.plans": {"en": "Placement plans", "es": "Planes de colocación"},
    "plans.title": {"en": "Placement plan", "es": "Plan de colocación"},
    "plans.intro": {
        "en": "Plan a home for every waiting child at once, and compare the plan with "
        "today's practice (the longest-waiting child first takes the nearest free home "
        "that is allowed, kin homes first; then the next child).",
        "es": "Planifique un hogar para todos los niños en espera a la vez y compare el plan "
        "con la práctica de hoy (el niño que más espera toma primero el hogar libre "
        "permitido más cercano, los de familiares antes; luego el siguiente).",
    },
    "plans.limit": {"en": "Solver time limit (seconds)", "es": "Tiempo máximo (segundos)"},
    "plans.seed": {"en": "Seed", "es": "Semilla"},
    "plans.start": {"en": "Start the plan", "es": "Iniciar el plan"},
    "plans.limit.422": {
        "en": "No plan was started: {detail}.",
        "es": "No se inició ningún plan: el tiempo pedido supera el máximo de su función "
        "({detail}).",
    },
    "plans.limit.429": {
        "en": "No plan was started: {detail}.",
        "es": "No se inició ningún plan: ya hay demasiados planes en cola o en curso. "
        "Inténtelo de nuevo cuando termine uno ({detail}).",
    },
    "plan.title": {"en": "Placement plan", "es": "Plan de colocación"},
    "plan.method.plan": {"en": "Plan for everyone at once", "es": "Plan para todos a la vez"},
    "plan.method.greedy": {"en": "Today's practice", "es": "Práctica de hoy"},
    "plan.solver.optimal": {
        "en": "the best plan possible by the plan's score (proven)",
        "es": "el mejor plan posible según la puntuación del plan (demostrado)",
    },
    "plan.solver.feasible": {
        "en": "the best plan found in the time limit; the best possible scores at most "
        "{gap}% more (not proven optimal: a longer time limit may find a better one)",
        "es": "el mejor plan hallado en el tiempo máximo; el mejor posible puntúa como mucho "
        "un {gap}% más (no demostrado óptimo: con más tiempo puede hallarse uno mejor)",
    },
    "plan.solver.unproven": {
        "en": "the best plan found in the time limit, with no bound on how far the best "
        "possible is (a longer time limit may find a better one)",
        "es": "el mejor plan hallado en el tiempo máximo, sin cota de cuánto mejor puede ser "
        "el óptimo (con más tiempo puede hallarse uno mejor)",
    },
    "plan.status.queued": {"en": "waiting to start", "es": "en cola"},
    "plan.status.running": {"en": "running", "es": "en curso"},
    "plan.status.done": {"en": "done", "es": "terminado"},
    "plan.status.failed": {"en": "failed", "es": "fallido"},
    "plan.progress": {"en": "Progress", "es": "Progreso"},
    "plan.refresh": {
        "en": "This page refreshes every 2 seconds until both are done.",
        "es": "Esta página se actualiza cada 2 segundos hasta que ambos terminen.",
    },
    "plan.summary": {"en": "Side by side", "es": "Comparación"},
    "plan.figure": {"en": "Figure", "es": "Cifra"},
    "plan.fig.children": {"en": "Waiting children", "es": "Niños en espera"},
    "plan.fig.placed": {"en": "Placed", "es": "Colocados"},
    "plan.fig.sibling_groups": {"en": "Sibling groups", "es": "Grupos de hermanos"},
    "plan.fig.sibling_groups_whole": {
        "en": "Sibling groups kept together",
        "es": "Grupos de hermanos juntos",
    },
    "plan.fig.own_community": {"en": "In their own community", "es": "En su propia comunidad"},
    "plan.fig.mean_distance_km": {"en": "Mean distance (km)", "es": "Distancia media (km)"},
    "plan.fig.kin": {"en": "With kin", "es": "Con familiares"},
    "plan.fig.long_waiting": {
        "en": "Waited over a year: placed / waiting",
        "es": "Más de un año de espera: colocados / en espera",
    },
    "plan.fig.non_kin_mean_distance_km": {
        "en": "Mean distance, not with kin (km)",
        "es": "Distancia media, sin familiares (km)",
    },
    "plan.baseline_note": {
        "en": "The baseline is today's practice within the rules (nearest eligible home, "
        "longest waiting first, kin first). The plan is never behind it on siblings kept "
        "whole, own community, kin, or the longest-waiting placed.",
        "es": "La referencia es la práctica actual dentro de las reglas (el hogar posible más "
        "cercano, primero quien más espera, primero los familiares). El plan nunca queda por "
        "detrás en hermanos juntos, propia comunidad, familiares ni en quienes más esperan.",
    },
    "plan.conflicts": {"en": "Conflicts to decide", "es": "Conflictos por decidir"},
    "alternatives.title": {
        "en": "Keeping the siblings together: only with ICWA good cause",
        "es": "Mantener juntos a los hermanos: solo con causa justificada ICWA",
    },
    "badge.goodcause": {"en": "needs good cause", "es": "requiere causa justificada"},
    "decide.home.together": {
        "en": "Home {home}, all {n} siblings together (needs ICWA good cause)",
        "es": "Hogar {home}, los {n} hermanos juntos (requiere causa justificada ICWA)",
    },
    "plan.conflict.icwa_vs_siblings": {
        "en": "ICWA and siblings together",
        "es": "ICWA y hermanos juntos",
    },
    "plan.conflict.icwa_vs_kin": {
        "en": "ICWA and a sibling's kin home",
        "es": "ICWA y el hogar de familiares de un hermano",
    },
    "plan.conflict.rule_broken": {
        "en": "Taken out of the plan",
        "es": "Retirado del plan",
    },
    "plan.assignments": {"en": "Proposed assignments", "es": "Asignaciones propuestas"},
    "plan.why": {"en": "Explanation", "es": "Explicación"},
    "plan.explain": {"en": "Why, for {child}", "es": "Por qué, para {child}"},
    "plan.unplaced": {"en": "not placed", "es": "sin colocar"},
    # equity audit of a plan
    "equity.title": {"en": "Equity", "es": "Equidad"},
    "equity.note": {
        "en": "Figures by group, from the records: matching never reads race. Groups of 1 "
        "to {threshold} waiting children are suppressed. The spread is the largest minus "
        "the smallest figure over the groups shown.",
        "es": "Cifras por grupo, según los registros: la asignación nunca lee la raza. Se "
        "omiten los grupos de 1 a {threshold} niños en espera. La dispersión es la cifra "
        "mayor menos la menor entre los grupos mostrados.",
    },
    "equity.nobaseline": {
        "en": "No greedy baseline to compare with for this plan.",
        "es": "No hay práctica de hoy con la que comparar este plan.",
    },
    "equity.dim.race": {"en": "Race/ethnicity", "es": "Raza/etnia"},
    "equity.dim.sex": {"en": "Sex", "es": "Sexo"},
    "equity.dim.age": {"en": "Age band", "es": "Grupo de edad"},
    "equity.group": {"en": "Group", "es": "Grupo"},
    "equity.children": {"en": "Waiting children", "es": "Niños en espera"},
    "equity.plan": {"en": "plan", "es": "plan"},
    "equity.baseline": {"en": "today", "es": "hoy"},
    "equity.reference": {"en": "(reference)", "es": "(referencia)"},
    "equity.suppressed": {
        "en": "suppressed (small group)",
        "es": "omitido (grupo pequeño)",
    },
    "equity.spread": {"en": "Spread", "es": "Dispersión"},
    "equity.m.placed_pct": {"en": "Placed %", "es": "% colocados"},
    "equity.m.own_community_pct": {"en": "Own community %", "es": "% en su comunidad"},
    "equity.m.mean_distance_km": {"en": "Mean km", "es": "Km de media"},
    "equity.m.siblings_whole_pct": {
        "en": "Siblings together %",
        "es": "% hermanos juntos",
    },
    "equity.m.kin_pct": {"en": "Kin %", "es": "% con familiares"},
    "equity.group.hispanic": {"en": "Hispanic (any race)", "es": "Hispano (cualquier raza)"},
    "equity.group.two_or_more": {"en": "Two or more races", "es": "Dos o más razas"},
    "equity.group.aian": {
        "en": "American Indian or Alaska Native",
        "es": "Indígena americano o nativo de Alaska",
    },
    "equity.group.asian": {"en": "Asian", "es": "Asiático"},
    "equity.group.black": {"en": "Black or African American", "es": "Negro o afroamericano"},
    "equity.group.nhpi": {
        "en": "Native Hawaiian or Pacific Islander",
        "es": "Nativo de Hawái o de las islas del Pacífico",
    },
    "equity.group.white": {"en": "White", "es": "Blanco"},
    "equity.group.unknown": {"en": "Unknown", "es": "Desconocido"},
    "equity.group.female": {"en": "Female", "es": "Femenino"},
    "equity.group.male": {"en": "Male", "es": "Masculino"},
    "equity.group.under_1": {"en": "Under 1", "es": "Menos de 1 año"},
    "equity.group.1-5": {"en": "1 to 5", "es": "De 1 a 5"},
    "equity.group.6-12": {"en": "6 to 12", "es": "De 6 a 12"},
    "equity.group.13-17": {"en": "13 to 17", "es": "De 13 a 17"},
    "equity.group.18-21": {"en": "18 to 21", "es": "De 18 a 21"},
    # outcomes and equity for supervisors (api/pages/outcomes.py)
    "outcomes.title": {"en": "Outcomes and disparities", "es": "Resultados y disparidades"},
    "outcomes.intro": {
        "en": "How the agency's children fare, from the records: the measures of a period, their "
        "trend year by year, and how they differ by race/ethnicity, sex and age band. Only counts "
        "of groups are shown, never a child.",
        "es": "Cómo les va a los niños de la agencia, según los registros: las medidas de un "
        "periodo, su evolución año a año y cómo difieren por raza/etnia, sexo y grupo de edad. "
        "Solo se muestran recuentos de grupos, nunca un niño.",
    },
    "outcomes.from": {"en": "From (YYYY-MM-DD)", "es": "Desde (AAAA-MM-DD)"},
    "outcomes.to": {"en": "To (YYYY-MM-DD)", "es": "Hasta (AAAA-MM-DD)"},
    "outcomes.year": {"en": "or a year", "es": "o un año"},
    "outcomes.measure": {"en": "Measure", "es": "Medida"},
    "outcomes.show": {"en": "Show", "es": "Mostrar"},
    "outcomes.period.hint": {
        "en": "Without dates: the 12 months ending a year before the latest record, so that every "
        "12-month measure is complete.",
        "es": "Sin fechas: los 12 meses que terminan un año antes del último registro, para que "
        "todas las medidas a 12 meses estén completas.",
    },
    "outcomes.bad.title": {
        "en": "Nothing is shown until this is corrected:",
        "es": "No se muestra nada hasta corregir esto:",
    },
    "outcomes.bad.date": {
        "en": "'{field}': '{value}' is not a date; write it as YYYY-MM-DD, e.g. 2025-01-31.",
        "es": "'{field}': '{value}' no es una fecha; escríbala como AAAA-MM-DD, p. ej. 2025-01-31.",
    },
    "outcomes.bad.range": {
        "en": "'{field}': {value} is outside the dates the records can hold ({first} to {last}).",
        "es": "'{field}': {value} está fuera de las fechas que admiten los registros ({first} a "
        "{last}).",
    },
    "outcomes.bad.year": {
        "en": "'year': '{value}' is not a year; write four digits, e.g. 2024.",
        "es": "'year': '{value}' no es un año; escriba cuatro cifras, p. ej. 2024.",
    },
    "outcomes.bad.both": {
        "en": "Give either a year or a period ('from' and 'to'), not both.",
        "es": "Indique un año o un periodo ('from' y 'to'), no ambos.",
    },
    "outcomes.bad.period": {
        "en": "The period ends ('to' {end}) before it starts ('from' {start}).",
        "es": "El periodo termina ('to' {end}) antes de empezar ('from' {start}).",
    },
    "outcomes.bad.measure": {
        "en": "'measure': '{value}' is not one of the measures shown here ({choices}).",
        "es": "'measure': '{value}' no es una de las medidas que se muestran aquí ({choices}).",
    },
    "outcomes.bad.unused": {
        "en": "'{field}' does not apply here: the audit is of the latest plan, on its own date.",
        "es": "'{field}' no se aplica aquí: la auditoría es del último plan, en su propia fecha.",
    },
    "outcomes.bad.records": {
        "en": "The records cannot give these figures: {detail}",
        "es": "Los registros no permiten estas cifras: {detail}",
    },
    "outcomes.period": {
        "en": "Period {start} to {end}; records as of {as_of}.",
        "es": "Periodo del {start} al {end}; registros a {as_of}.",
    },
    "outcomes.suppression": {
        "en": "Counts from 1 to {last} are suppressed, and so is every rate, median and index "
        "computed from them: the tables say so and the charts leave them out.",
        "es": "Se omiten los recuentos de 1 a {last}, y también toda tasa, mediana o índice "
        "calculado a partir de ellos: las tablas lo indican y los gráficos no los dibujan.",
    },
    "outcomes.measures": {"en": "Measures of the period", "es": "Medidas del periodo"},
    "outcomes.measures.caption": {
        "en": "Everyone in the period; the trend is the direction over the years below.",
        "es": "Todos los niños del periodo; la tendencia es la dirección a lo largo de los años "
        "de abajo.",
    },
    "outcomes.col.measure": {"en": "Measure", "es": "Medida"},
    "outcomes.col.value": {"en": "Value", "es": "Valor"},
    "outcomes.col.unit": {"en": "Unit", "es": "Unidad"},
    "outcomes.col.numerator": {"en": "Counted", "es": "Contados"},
    "outcomes.col.denominator": {"en": "Out of", "es": "De un total de"},
    "outcomes.col.trend": {"en": "Trend", "es": "Tendencia"},
    "outcomes.col.children": {"en": "Children", "es": "Niños"},
    "outcomes.col.index": {"en": "Disparity index", "es": "Índice de disparidad"},
    "outcomes.col.interval": {"en": "95% interval", "es": "Intervalo del 95 %"},
    "outcomes.direction.up": {"en": "rising", "es": "en aumento"},
    "outcomes.direction.down": {"en": "falling", "es": "en descenso"},
    "outcomes.direction.flat": {"en": "steady", "es": "estable"},
    "outcomes.direction.none": {"en": "—", "es": "—"},
    "outcomes.unreliable": {"en": "(few children: unreliable)", "es": "(pocos niños: poco fiable)"},
    "outcomes.suppressed": {"en": "suppressed (<{k})", "es": "omitido (<{k})"},
    "outcomes.trends": {"en": "Year by year", "es": "Año a año"},
    "outcomes.trends.none": {
        "en": "The records hold no stay in care to draw a trend from.",
        "es": "Los registros no contienen estancias en acogida con las que trazar una evolución.",
    },
    "outcomes.trends.caption": {
        "en": "Everyone, by calendar year; the last year runs only to the date of the records.",
        "es": "Todos los niños, por año natural; el último año llega solo hasta la fecha de los "
        "registros.",
    },
    "outcomes.trend.percent": {
        "en": "Placements and permanency, by year",
        "es": "Colocaciones y permanencia, por año",
    },
    "outcomes.trend.days": {
        "en": "Length of stay, by year",
        "es": "Duración de la estancia, por año",
    },
    "outcomes.axis.year": {"en": "Year", "es": "Año"},
    "outcomes.axis.percent": {"en": "% of children", "es": "% de niños"},
    "outcomes.axis.days": {"en": "Days in care", "es": "Días en acogida"},
    "outcomes.axis.index": {
        "en": "Disparity index (1 = same as the reference group; log scale)",
        "es": "Índice de disparidad (1 = igual que el grupo de referencia; escala logarítmica)",
    },
    "outcomes.leftout": {"en": "Not drawn: {items}.", "es": "No se dibuja: {items}."},
    "outcomes.leftout.nothing": {
        "en": "Every figure of the table is drawn.",
        "es": "Se dibujan todas las cifras de la tabla.",
    },
    "outcomes.leftout.suppressed": {"en": "suppressed", "es": "omitido"},
    "outcomes.leftout.noindex": {"en": "no index", "es": "sin índice"},
    "outcomes.disparity": {"en": "Disparities by group", "es": "Disparidades por grupo"},
    "outcomes.disparity.intro": {
        "en": "The disparity index is a group's figure divided by the reference group's: 1 means "
        "the same, 2 twice as often, 0.5 half as often. The line is the 95% interval; one that "
        "crosses 1 does not show a difference the records can tell from chance.",
        "es": "El índice de disparidad es la cifra de un grupo dividida por la del grupo de "
        "referencia: 1 significa lo mismo, 2 el doble, 0,5 la mitad. La línea es el intervalo del "
        "95 %; si cruza el 1, los registros no distinguen la diferencia del azar.",
    },
    "outcomes.disparity.chart": {
        "en": "Disparity index: {measure}",
        "es": "Índice de disparidad: {measure}",
    },
    "outcomes.disparity.references": {
        "en": "Reference groups: {groups}",
        "es": "Grupos de referencia: {groups}",
    },
    "outcomes.equity.link": {
        "en": "The latest plan's equity audit",
        "es": "La auditoría de equidad del último plan",
    },
    "outcomes.equity.title": {"en": "Equity of the latest plan", "es": "Equidad del último plan"},
    "outcomes.equity.intro": {
        "en": "The latest finished placement plan beside today's practice (the greedy baseline it "
        "carries), by race/ethnicity, sex and age band. Matching never reads race: these figures "
        "come from the records, afterwards.",
        "es": "El último plan de colocación terminado junto a la práctica de hoy (la referencia "
        "voraz que incluye), por raza/etnia, sexo y grupo de edad. La asignación nunca lee la "
        "raza: estas cifras salen de los registros, después.",
    },
    "outcomes.equity.none": {
        "en": "No placement plan has finished yet.",
        "es": "Todavía no ha terminado ningún plan de colocación.",
    },
    "outcomes.equity.plan": {
        "en": "Plan finished on {finished}, planned for {as_of}: {children} waiting children.",
        "es": "Plan terminado el {finished}, planificado para el {as_of}: {children} niños en "
        "espera.",
    },
    "outcomes.equity.open": {"en": "Open the plan", "es": "Abrir el plan"},
    "outcomes.equity.chart": {
        "en": "{measure}: plan and today, by group",
        "es": "{measure}: plan y hoy, por grupo",
    },
    "outcomes.equity.caption": {
        "en": "Filled dot: the plan; hollow dot: today's practice.",
        "es": "Punto relleno: el plan; punto hueco: la práctica de hoy.",
    },
    "outcomes.unit.per 1,000 children": {"en": "per 1,000 children", "es": "por cada 1.000 niños"},
    "outcomes.unit.%": {"en": "%", "es": "%"},
    "outcomes.unit.days": {"en": "days", "es": "días"},
    "outcomes.unit.km": {"en": "km", "es": "km"},
    "outcomes.unit.per 1,000 days": {
        "en": "per 1,000 days in care",
        "es": "por cada 1.000 días en acogida",
    },
    "outcomes.m.entries_per_1000": {
        "en": "Entries per 1,000 children",
        "es": "Entradas por cada 1.000 niños",
    },
    "outcomes.m.own_community_first": {
        "en": "First placement in own community",
        "es": "Primera colocación en su comunidad",
    },
    "outcomes.m.distance_first_km": {
        "en": "Median distance of first placement",
        "es": "Distancia mediana de la primera colocación",
    },
    "outcomes.m.own_community_current": {
        "en": "Current placement in own community",
        "es": "Colocación actual en su comunidad",
    },
    "outcomes.m.distance_current_km": {
        "en": "Median distance of current placement",
        "es": "Distancia mediana de la colocación actual",
    },
    "outcomes.m.congregate_children": {
        "en": "Children in congregate care",
        "es": "Niños en acogimiento residencial",
    },
    "outcomes.m.congregate_days": {
        "en": "Care days in congregate care",
        "es": "Días en acogimiento residencial",
    },
    "outcomes.m.congregate_first": {
        "en": "First placement congregate",
        "es": "Primera colocación residencial",
    },
    "outcomes.m.congregate_point": {
        "en": "In congregate care on the last day",
        "es": "En acogimiento residencial el último día",
    },
    "outcomes.m.stay_median_days": {
        "en": "Median length of stay",
        "es": "Duración mediana de la estancia",
    },
    "outcomes.m.stay_restricted_mean_days": {
        "en": "Restricted mean length of stay",
        "es": "Duración media restringida de la estancia",
    },
    "outcomes.m.permanency_12m": {"en": "Permanency in 12 months", "es": "Permanencia en 12 meses"},
    "outcomes.m.reunification_12m": {
        "en": "Reunification in 12 months",
        "es": "Reunificación en 12 meses",
    },
    "outcomes.m.reentry_12m": {"en": "Re-entry in 12 months", "es": "Reingreso en 12 meses"},
    "outcomes.m.moves_per_1000_days": {
        "en": "Placement moves per 1,000 days",
        "es": "Cambios de colocación por cada 1.000 días",
    },
    "outcomes.m.siblings_all": {"en": "Placed with all siblings", "es": "Con todos sus hermanos"},
    "outcomes.m.siblings_some": {
        "en": "Placed with some siblings",
        "es": "Con alguno de sus hermanos",
    },
    "explain.title": {"en": "Explanation for {child}", "es": "Explicación para {child}"},
    "explain.placed": {
        "en": "Home {home}, score {score}, {km} km away.",
        "es": "Hogar {home}, puntuación {score}, a {km} km.",
    },
    "explain.back": {"en": "Back to the plan", "es": "Volver al plan"},
    # community
    "community.title": {"en": "Community {name}", "es": "Comunidad {name}"},
    "community.figures": {"en": "Figures", "es": "Cifras"},
    "community.partners": {"en": "Outreach partners", "es": "Socios de difusión"},
    "community.nopartners": {
        "en": "No partner on record here.",
        "es": "No hay socios registrados aquí.",
    },
    "partner.name": {"en": "Partner", "es": "Socio"},
    "partner.kind": {"en": "Kind", "es": "Tipo"},
    "partner.languages": {"en": "Languages", "es": "Idiomas"},
    "partner.contact": {"en": "Contact", "es": "Contacto"},
    "partner.nocontact": {"en": "none on record", "es": "no registrado"},
    "community.horizon": {
        "en": "Projected {horizon} months ahead from {as_of}: homes needed in {horizon} "
        "months minus the homes expected then.",
        "es": "Proyección a {horizon} meses desde el {as_of}: hogares necesarios dentro de "
        "{horizon} meses menos los hogares previstos entonces.",
    },
    "partner.faith": {"en": "faith community", "es": "comunidad religiosa"},
    "partner.school": {"en": "school", "es": "escuela"},
    "partner.community_centre": {"en": "community centre", "es": "centro comunitario"},
    "partner.health": {"en": "health", "es": "salud"},
    "partner.cultural_association": {"en": "cultural association", "es": "asociación cultural"},
    "partner.other": {"en": "other", "es": "otro"},
    "community.back": {"en": "Back to the gap map", "es": "Volver al mapa del déficit"},
}

_MONTHS = {
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
    "es": (
        "enero", "febrero", "marzo", "abril", "mayo", "junio",
        "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
    ),
}  # fmt: skip


def pick_language(value: str | None) -> str:
    """A supported language code from a cookie or query value (default English)."""
    return value if value in LANGUAGES else DEFAULT


def translate(key: str, lang: str, **fields: object) -> str:
    """The text of ``key`` in ``lang`` with its fields filled in.

    Raises
    ------
    KeyError
        The key is not in :data:`TEXT` (a bug: every page string is in the table).
    """
    text = TEXT[key][lang]
    return text.format(**fields) if fields else text


def format_number(value: float | int | None, lang: str, digits: int = 0) -> str:
    """``1,234.5`` in English, ``1.234,5`` in Spanish; an em dash for no value."""
    if value is None or value != value:  # None or NaN
        return "—"
    text = f"{value:,.{digits}f}"
    if lang == "es":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def format_date(day: date | str | None, lang: str) -> str:
    """``22 November 2026`` in English, ``22 de noviembre de 2026`` in Spanish."""
    if day is None:
        return "—"
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    month = _MONTHS[lang][day.month - 1]
    if lang == "es":
        return f"{day.day} de {month} de {day.year}"
    return f"{day.day} {month} {day.year}"
