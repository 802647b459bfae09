"""The class suggester learns from the registered cases: versions trained on demand, scored here
exactly as scikit-learn would, used by intake; the dispatcher's pick is recorded as feedback; the
catalog's keywords remain for what the model has not learnt."""

from __future__ import annotations

import numpy as np
import pytest

from shanzhi.geo.models import Grid
from shanzhi.incidents import classify
from shanzhi.incidents.models import ClassChoice, ClassifierModel, IncidentClass
from shanzhi.incidents.services import loop
from shanzhi.incidents.services.intake import incident_report

from .conftest import login

pytestmark = pytest.mark.django_db

CORPUS = {
    "0303": ["都快半夜了对面烧烤店还在放音乐", "楼下广场舞音响开得震天响", "工地晚上十一点还在打桩",
             "隔壁KTV吵到凌晨两点睡不着", "夜里有人在小区里大声喧哗唱歌", "搅拌车半夜轰隆隆一直响"],
    "0102": ["拉沙的大货车一路掉沙子", "渣土车把泥巴带得满马路都是", "路上一大滩机油滑得很",
             "运煤车撒了一路黑渣子", "工地门口马路上全是黄泥浆", "菜场门口地上烂菜叶烂泥一大片"],
    "0802": ["晚上这段路黑漆漆的灯一个都不亮", "路边那根灯杆闪了一个礼拜了", "小区门口灯坏了走路怕摔",
             "桥上的灯全黑了", "霞客大道上有三盏灯晚上不亮", "夜里这条路伸手不见五指"],
}


def fitted():
    texts = [t for ts in CORPUS.values() for t in ts] * 2
    labels = [c for c, ts in CORPUS.items() for _t in ts] * 2
    arrays, _metrics = classify.fit(texts, labels, min_examples=3, holdout=0)
    return arrays, texts, labels


def test_the_scorer_gives_what_scikit_learn_gives():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    arrays, texts, labels = fitted()
    vec = TfidfVectorizer(analyzer="char", ngram_range=classify.NGRAMS, sublinear_tf=True, min_df=2,
                          max_features=80_000, dtype=np.float32)
    clf = LogisticRegression(C=20.0, max_iter=3000).fit(vec.fit_transform(texts), labels)
    model = classify.Model(arrays)
    for text in ["半夜  音乐放得太响了", "货车掉了一路沙", "路灯  不亮", "完全无关的字"]:
        ours = model.scores(text)
        theirs = clf.predict_proba(vec.transform([text]))[0]
        if ours is None:  # no known n-gram: nothing to say
            continue
        assert np.allclose(ours, theirs, atol=1e-4), text
    assert model.top("夜里音响太吵了", 1)[0][0] == "0303"


def _registered(cast, grid, text, code):
    incident, _ = incident_report(actor=cast.grid_worker, source="patrol", description=text,
                                  subclass_code=code, lon=grid.center_lon, lat=grid.center_lat)
    loop.incident_register(actor=cast.dispatcher, incident_id=incident.pk)
    return incident


def test_trained_on_registered_cases_it_is_used_by_intake_and_the_page_offers_three(cast):
    grid = Grid.objects.get(posts__user=cast.grid_worker)
    for code, texts in CORPUS.items():
        for text in texts * 2:
            _registered(cast, grid, text, code)
    model = classify.train()
    assert model is not None and model.is_active and {"0303", "0102", "0802"} <= set(model.classes)
    assert ClassifierModel.objects.filter(is_active=True).count() == 1
    classify.loaded.reset()
    ranked = classify.suggest("对面饭店晚上放歌放到十二点", 3)
    assert ranked[0].code == "0303" and ranked[0].by == "model" and len(ranked) == 3
    assert 0 < ranked[2].confidence <= ranked[1].confidence <= ranked[0].confidence <= 1
    # Intake with no class given: the model's first choice.
    incident, _ = incident_report(actor=cast.grid_worker, source="patrol", description="大卡车掉了一路的沙",
                                  lon=grid.center_lon, lat=grid.center_lat)
    assert incident.subclass.code == "0102" and incident.class_suggested
    # The dispatcher sees three suggestions and picks the second in one click: registered so, and
    # the pick recorded for the next training.
    page = login(cast.dispatcher).get(f"/incidents/{incident.pk}/").content.decode()
    assert page.count('class="secondary small suggestion"') == 3
    shown = classify.suggest(incident.description, 3)
    second = IncidentClass.objects.get(code=shown[1].code)
    resp = login(cast.dispatcher).post(f"/incidents/{incident.pk}/act/register/",
                                       {"version": incident.version, "pick": second.pk, "subclass": ""})
    assert resp.status_code == 302
    incident.refresh_from_db()
    assert incident.subclass == second
    choice = ClassChoice.objects.get(incident=incident)
    assert choice.chosen == second.code and choice.rank == 2 and choice.model_version == model.pk
    assert [c for c, _p in choice.suggested] == [s.code for s in shown]
    # The REST detail returns them too.
    other, _ = incident_report(actor=cast.grid_worker, source="patrol", description="晚上路上一盏灯都不亮",
                               lon=grid.center_lon, lat=grid.center_lat)
    data = login(cast.dispatcher).get(f"/api/v1/incidents/{other.pk}").json()
    assert data["suggestions"][0]["code"] == "0802" and data["suggestions"][0]["by"] == "model"


def test_keywords_stay_for_what_the_model_has_not_learnt(cast):
    arrays, _t, _l = fitted()
    classify.loaded.model, classify.loaded.checked = classify.Model(arrays, 1), float("inf")
    try:
        # 井盖 (0801) is not in the model: its keywords bring it in.
        codes = [s.code for s in classify.suggest("这里井盖缺了一块", 3)]
        assert "0801" in codes
        bykw = next(s for s in classify.suggest("这里井盖缺了一块", 3) if s.code == "0801")
        assert bykw.by == "keywords"
    finally:
        classify.loaded.reset()


def test_too_little_history_trains_nothing_and_the_keywords_decide(cast):
    with pytest.raises(ValueError):
        classify.fit(["一句话"], ["0101"], min_examples=1)
    ClassifierModel.objects.all().delete()
    classify.loaded.reset()
    grid = Grid.objects.get(posts__user=cast.grid_worker)
    incident, _ = incident_report(actor=cast.grid_worker, source="patrol", description="路灯不亮",
                                  lon=grid.center_lon, lat=grid.center_lat)
    assert incident.subclass.code == "0802"
