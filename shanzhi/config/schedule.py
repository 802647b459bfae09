"""Periodic jobs: (name, every N seconds, dotted path of a django-tasks task)."""

SCHEDULE = [
    ("case-deadlines", 60, "shanzhi.cases.tasks.check_deadlines"),
    ("notify-outbox", 30, "shanzhi.notify.tasks.deliver_outbox"),
    ("audit-chain", 60, "shanzhi.common.tasks.seal_audit_log"),
    ("appraisal", 3600, "shanzhi.command.tasks.appraise_months"),
    ("dashboard-rollups", 60, "shanzhi.command.tasks.compact_facts"),
    ("hall-days", 3600, "shanzhi.onewindow.tasks.close_hall_days"),
    ("calendar-coverage", 24 * 3600, "shanzhi.common.tasks.check_calendar_coverage"),
    ("prune-task-results", 24 * 3600, "shanzhi.common.tasks.prune_task_results"),
    ("inspection-credit", 3600, "shanzhi.inspections.tasks.refresh_credit_grades"),
    ("inspection-register", 24 * 3600, "shanzhi.inspections.tasks.fill_entity_register"),
    ("assistance-lists", 6 * 3600, "shanzhi.assistance.tasks.build_next_month_lists"),
    ("class-suggester", 24 * 3600, "shanzhi.incidents.tasks.train_classifier"),
]
