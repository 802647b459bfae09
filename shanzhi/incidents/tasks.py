from django_tasks import task


@task()
def train_classifier() -> dict:
    """A new version of the class suggester from the registered cases (nightly, and on demand from
    the admin or `shanzhi classify train`)."""
    from .classify import train

    model = train()
    return {"version": model.pk, **{k: model.metrics.get(k) for k in ("examples", "classes", "top1", "top3")}} \
        if model else {"version": None}
