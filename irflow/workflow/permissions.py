"""Who may fire which trigger on which application. Deny by default."""


def _examines(actor, call):
    return any(examiner.id == actor.id for examiner in call.examiners)


def _staff_role_applies(who, application, actor):
    # Staff roles act on other people's applications only: a coordinator who applies
    # to a call does not screen their own application.
    if application.applicant_id == actor.id or not actor.has_role(who):
        return False
    if who == "coordinator":
        return application.faculty_id in actor.coordinated_faculty_ids
    if who == "examiner":
        return _examines(actor, application.call)
    return who == "head"


def actor_may(transition, application, actor):
    """True when `actor` (None for the system) may fire `transition` on `application`,
    whatever its state and guards."""
    if actor is None:
        return "system" in transition.who
    if not actor.active:
        return False
    for who in transition.who:
        if who == "owner":
            if application.applicant_id == actor.id:
                return True
        elif who != "system" and _staff_role_applies(who, application, actor):
            return True
    return False
