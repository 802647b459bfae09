"""Class suggestion that learns from the county's own history.

Every registered case is a labelled example: the dispatcher who registered it confirmed the class
or corrected it. The worker trains a model on them — character 1–3-grams (TF-IDF, sublinear) and a
multinomial logistic regression from scikit-learn — on a schedule and on demand; each training is
a new version (``ClassifierModel``). Every intake channel asks ``suggest()``: the model's top
classes with their confidence, scored here with numpy from the stored arrays (no scikit-learn on
the request path, well under a millisecond a text). A class with too few examples is not in the
model; for it the catalog's keywords remain the fallback.
"""

from __future__ import annotations

import io
import math
import re
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shanzhi.common import counters

NGRAMS = (1, 3)
MIN_EXAMPLES = 8  # per class, to be learnt; fewer and the keywords decide
MAX_EXAMPLES = 60_000  # the most recent registered cases
_SPACE = re.compile(r"\s\s+")
COUNTER = "incident-classifier"


def _normalise(text: str) -> str:
    # What scikit-learn's "char" analyser does before cutting n-grams (lowercase, runs of white
    # space as one), so the scores here equal the trained model's.
    return _SPACE.sub(" ", (text or "").lower())


def _grams(text: str):
    text = _normalise(text)
    lo, hi = NGRAMS
    for n in range(lo, hi + 1):
        for i in range(len(text) - n + 1):
            yield text[i:i + n]


# --------------------------------------------------------------------------- training
def examples(limit: int = MAX_EXAMPLES) -> tuple[list[str], list[str]]:
    """(texts, class codes) of the registered cases, newest first: a register step means a person
    looked at the class and kept or changed it. Merged and voided cases say nothing of their class."""
    from .models import Incident, IncidentStep
    from .states import Action, Status

    registered = IncidentStep.objects.filter(action=Action.REGISTER).values("incident_id")
    rows = (Incident.objects.filter(pk__in=registered).exclude(status__in=[Status.VOIDED, Status.MERGED])
            .order_by("-id").values_list("description", "subclass__code")[:limit])
    texts, labels = [], []
    for text, code in rows:
        if text and code:
            texts.append(text)
            labels.append(code)
    return texts, labels


def fit(texts: list[str], labels: list[str], *, min_examples: int = MIN_EXAMPLES, holdout: float = 0.1,
        seed: int = 7):
    """Train on the texts; returns (arrays, metrics). Classes with fewer than ``min_examples`` are
    left to the keywords. A stratified hold-out part measures the model before it is used."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    counts = Counter(labels)
    keep = [(t, c) for t, c in zip(texts, labels, strict=True) if counts[c] >= min_examples]
    if len({c for _t, c in keep}) < 2:
        raise ValueError("too few labelled cases to learn from")
    texts, labels = [t for t, _c in keep], [c for _t, c in keep]
    metrics = {}
    if holdout and len(texts) >= 200:
        tr_x, te_x, tr_y, te_y = train_test_split(texts, labels, test_size=holdout, random_state=seed,
                                                  stratify=labels)
        arrays = _fit(tr_x, tr_y, TfidfVectorizer, LogisticRegression)
        metrics = evaluate(Model(arrays), te_x, te_y)
    arrays = _fit(texts, labels, TfidfVectorizer, LogisticRegression)
    metrics |= {"examples": len(texts), "classes": len(arrays["classes"]), "per_class": dict(Counter(labels))}
    return arrays, metrics


def _fit(texts, labels, vectorizer, logistic) -> dict:
    vec = vectorizer(analyzer="char", ngram_range=NGRAMS, sublinear_tf=True, min_df=2, max_features=80_000,
                     dtype=np.float32)
    x = vec.fit_transform(texts)
    clf = logistic(C=20.0, max_iter=3000)
    clf.fit(x, labels)
    vocab = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
    return {"vocab": np.array(vocab), "idf": vec.idf_.astype(np.float32), "coef": clf.coef_.astype(np.float32),
            "intercept": clf.intercept_.astype(np.float32), "classes": np.array(clf.classes_)}


def evaluate(model: Model, texts, labels) -> dict:
    top1 = top3 = 0
    for text, code in zip(texts, labels, strict=True):
        ranked = [c for c, _p in model.top(text, 3)]
        top1 += bool(ranked) and ranked[0] == code
        top3 += code in ranked
    n = max(1, len(texts))
    return {"holdout": len(texts), "top1": round(top1 / n, 4), "top3": round(top3 / n, 4)}


def train(*, min_examples: int = MIN_EXAMPLES):
    """Train a new version from the registered cases and put it in use. Returns it (or None when
    there is too little to learn from)."""
    from .models import ClassifierModel

    texts, labels = examples()
    try:
        arrays, metrics = fit(texts, labels, min_examples=min_examples)
    except ValueError:
        return None
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    with transaction.atomic():
        ClassifierModel.objects.filter(is_active=True).update(is_active=False)
        model = ClassifierModel.objects.create(trained_at=timezone.now(), examples=metrics["examples"],
                                               classes=[str(c) for c in arrays["classes"]], metrics=metrics,
                                               data=buf.getvalue())
        counters.bump(COUNTER)
    return model


# --------------------------------------------------------------------------- serving
class Model:
    """The arrays of one version, scored with numpy: a text's n-grams → TF-IDF (sublinear, L2) →
    the linear scores of every class → softmax."""

    def __init__(self, arrays: dict, version: int | None = None):
        self.version = version
        self.index = {g: i for i, g in enumerate(arrays["vocab"].tolist())}
        self.idf = arrays["idf"]
        self.coef_t = np.ascontiguousarray(arrays["coef"].T)  # (features, classes): a row per n-gram
        self.intercept = arrays["intercept"]
        self.classes = [str(c) for c in arrays["classes"]]
        if self.coef_t.shape[1] == 1:  # two classes: scikit-learn keeps one row of weights
            self.coef_t = np.hstack([-self.coef_t, self.coef_t]) / 2
            self.intercept = np.array([-self.intercept[0], self.intercept[0]]) / 2

    @classmethod
    def from_bytes(cls, data: bytes, version: int | None = None) -> Model:
        with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as npz:
            return cls({k: npz[k] for k in npz.files}, version)

    def scores(self, text: str) -> np.ndarray | None:
        tf = Counter(i for i in (self.index.get(g) for g in _grams(text)) if i is not None)
        if not tf:
            return None
        idx = np.fromiter(tf.keys(), dtype=np.int64, count=len(tf))
        w = (1.0 + np.log(np.fromiter(tf.values(), dtype=np.float32, count=len(tf)))) * self.idf[idx]
        w /= math.sqrt(float(w @ w)) or 1.0
        z = self.intercept + w @ self.coef_t[idx]
        z = np.exp(z - z.max())
        return z / z.sum()

    def top(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        p = self.scores(text)
        if p is None:
            return []
        order = np.argsort(-p)[:k]
        return [(self.classes[i], float(p[i])) for i in order]


class _Loaded:
    """The version in use, per process; reloaded when the shared counter moves (checked at most
    every few seconds, like the class catalog)."""

    def __init__(self):
        self.model, self.seen, self.checked = None, -1, 0.0

    def get(self) -> Model | None:
        now = time.monotonic()
        if now - self.checked > settings.GRID_INDEX_CHECK_SECONDS:
            self.checked = now
            seen = counters.read(COUNTER)
            if seen != self.seen:
                from .models import ClassifierModel

                row = ClassifierModel.objects.filter(is_active=True).order_by("-id").values_list("pk", "data").first()
                self.model = Model.from_bytes(row[1], row[0]) if row else None
                self.seen = seen
        return self.model

    def reset(self):
        self.model, self.seen, self.checked = None, -1, 0.0


loaded = _Loaded()


@dataclass
class Suggestion:
    code: str
    confidence: float
    by: str  # "model" or "keywords"


def suggest(text: str, k: int = 3) -> list[Suggestion]:
    """The top ``k`` classes for a report's text. The model's, where it knows the class; a class it
    does not know (too few examples) but whose keywords the text hits comes in by keywords."""
    from .services.intake import catalog, keyword_hits

    active = catalog.get().by_code
    model = loaded.get()
    out = [Suggestion(c, p, "model") for c, p in (model.top(text, k + 2) if model else []) if c in active]
    known = set(model.classes) if model else set()
    for cls, score in keyword_hits(text):
        if cls.code not in known and all(s.code != cls.code for s in out):
            # Outside the model the keywords are all there is: first when the model is unsure, else
            # still among the ones offered.
            conf = min(0.6, 0.3 + 0.1 * score[0])
            place = 0 if not out or out[0].confidence < conf else min(len(out), k - 1)
            out.insert(place, Suggestion(cls.code, conf, "keywords"))
    return out[:k]
