"""The demo's social assistance: the catalog, standards with their history, early-warning rules,
household files in 徐霞客镇 with a year of applications played through the real services (every
stage present), enrolments migrated from the old system in the other towns, monthly payment lists
and a medical-insurance feed that raised alerts."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

CENT = Decimal("0.01")
# 低保标准 (元/人·月) of the county from each July; 特困 basic living = 1.3 × 低保.
DIBAO_HISTORY = [(dt.date(2022, 7, 1), 1050), (dt.date(2023, 7, 1), 1100), (dt.date(2024, 7, 1), 1150),
                 (dt.date(2025, 7, 1), 1200), (dt.date(2026, 7, 1), 1250)]
STORIES = [
    ("丈夫突发脑梗住院，家中无其他收入来源，孩子正在读初中", "medical"),
    ("本人患尿毒症长期透析，无法工作，靠妻子打零工维持生活", "medical"),
    ("家中老人瘫痪在床需长期照料，女儿患先天性心脏病", "medical"),
    ("儿子车祸致残，丧失劳动能力，老两口靠养老金生活", "disabled"),
    ("单亲母亲独自抚养两个孩子，在镇上厂里做临时工，收入不稳定", "wage"),
    ("夫妻均为肢体残疾，只能在家做些手工活", "disabled"),
    ("独居老人，无子女，仅有少量城乡居民养老金", "elderly"),
    ("家中房屋年久失修，本人患精神疾病，靠兄弟接济", "disabled"),
    ("丈夫因病去世后欠下医药费，孩子在读高中", "medical"),
    ("本人确诊乳腺癌正在化疗，丈夫在外打工收入微薄", "medical"),
]


def build(*, now=None, seed: int = 2026, log=lambda m: None, scale: str = "default") -> dict:
    from shanzhi.notify.services import suppressed

    now = now or timezone.now()
    with suppressed():
        return _Builder(now, seed, log, scale).run()


class _Builder:
    def __init__(self, now, seed, log, scale):
        self.now, self.rng, self.log, self.scale = now, random.Random(seed * 31 + 9), log, scale
        self.counts: dict[str, int] = {}

    def run(self) -> dict:
        from shanzhi.accounts.models import User
        from shanzhi.geo.models import Region

        from . import catalog

        self.county = Region.objects.filter(level=Region.Level.COUNTY).order_by("id").first()
        if self.county is None:
            return {}
        self.counts["assistance_programs"] = catalog.load()
        self._standards()
        self._rules()
        self.xxk = Region.objects.get(name="徐霞客镇", level=Region.Level.TOWN)
        users = {u.username: u for u in User.objects.filter(username__in=["county_civil", "civil_affairs",
                                                                          "village_aide"])}
        if len(users) < 3:
            return self.counts
        self.county_civil, self.town_civil, self.aide = users["county_civil"], users["civil_affairs"], \
            users["village_aide"]
        self._feed_client()
        self._resident()
        self._showcase()
        self._pending_account()
        self._migrated()
        self._payments()
        self._alerts()
        return self.counts

    # ------------------------------------------------------------------ reference data
    def _standards(self):
        from .models import Standard

        rows = []
        for day, amount in DIBAO_HISTORY:
            rows.append(Standard(code=Standard.Code.DIBAO, region=self.county, effective_from=day, amount=amount,
                                 basis=f"澄政发〔{day.year}〕{20 + day.year % 10}号"))
            rows.append(Standard(code=Standard.Code.TEKUN, region=self.county, effective_from=day,
                                 amount=(Decimal(amount) * Decimal("1.3")).quantize(Decimal(1)),
                                 basis=f"澄政发〔{day.year}〕{20 + day.year % 10}号"))
        Standard.objects.bulk_create(rows, ignore_conflicts=True)

    def _rules(self):
        from .models import AlertRule, Group, Signal

        start = dt.date(2025, 1, 1)
        rows = []
        for group, threshold in ((Group.DIBAO, 3000), (Group.TEKUN, 2000), (Group.EDGE, 8000),
                                 (Group.EXPENSE, 10000), (Group.MONITOR, 10000), (Group.GENERAL, 50000)):
            rows.append(AlertRule(region=self.county, group=group, source=Signal.Source.MEDICAL, threshold=threshold,
                                  window_days=365, effective_from=start))
        for group in (Group.DIBAO, Group.EDGE, Group.MONITOR):
            rows.append(AlertRule(region=self.county, group=group, source=Signal.Source.DISABILITY, threshold=None,
                                  window_days=365, effective_from=start))
            rows.append(AlertRule(region=self.county, group=group, source=Signal.Source.UNEMPLOYMENT, threshold=None,
                                  window_days=180, effective_from=start))
            rows.append(AlertRule(region=self.county, group=group, source=Signal.Source.SCHOOL, threshold=None,
                                  window_days=365, effective_from=start))
        # 徐霞客镇 watches families on the edge more closely (a lower line, as the town decided in 2026).
        rows.append(AlertRule(region=self.xxk_region(), group=Group.EDGE, source=Signal.Source.MEDICAL,
                              threshold=5000, window_days=365, effective_from=dt.date(2026, 1, 1)))
        AlertRule.objects.bulk_create(rows)

    def xxk_region(self):
        from shanzhi.geo.models import Region

        return Region.objects.get(name="徐霞客镇", level=Region.Level.TOWN)

    def _pending_account(self):
        """One family of the aide's village asked yesterday to be paid into a new account: the
        town's office sees the request on the file, waiting for its check."""
        from shanzhi.accounts.models import Post

        from . import services
        from .models import Family

        post = Post.objects.filter(user=self.aide, role="civil_affairs").first()
        family = Family.objects.filter(region_id=getattr(post, "region_id", None)).order_by("id").first()
        if family is not None:
            services.update_family(actor=self.aide, family_id=family.pk, bank="江苏江阴农村商业银行",
                                   account=f"6230{self.rng.randrange(10**14, 10**15)}",
                                   at=self.now - dt.timedelta(hours=20))

    def _resident(self):
        """The demo's resident (李明, login ``citizen``) lives in the village aide's village: the
        registry knows him with the account's mobile number, so he can apply online for himself."""
        from shanzhi.accounts.models import Post, User
        from shanzhi.common import crypto
        from shanzhi.registry.models import Person

        citizen = User.objects.filter(username="citizen").first()
        post = Post.objects.filter(user=self.aide, role="civil_affairs").first()
        if citizen is None or not citizen.mobile or post is None:
            return
        person = (Person.objects.filter(region_id=post.region_id, residence="registered", gender="M",
                                        birth_date__year__lte=1985).order_by("-id").first())
        if person is not None:
            Person.objects.filter(pk=person.pk).update(
                name=citizen.display_name, phone_sealed=crypto.seal(citizen.mobile),
                phone_bidx=crypto.blind_index("phone", citizen.mobile))
            self.taken_for_resident = person.pk

    def _feed_client(self):
        from django.contrib.auth.models import Permission

        from shanzhi.accounts.models import User

        user, _ = User.objects.get_or_create(username="svc_yibao", defaults={"display_name": "医保局结算数据接口"})
        user.user_permissions.add(Permission.objects.get(codename="add_signal", content_type__app_label="assistance"))

    # ------------------------------------------------------------------ the showcase town
    def _people(self, region, limit):
        """Households of a village whose members can form a file (head first)."""
        from shanzhi.registry.models import Person

        taken = self._taken
        out = []
        rows = (Person.objects.filter(region=region, household__isnull=False, residence="registered")
                .order_by("household_id", "id").values_list("pk", "household_id", "relation_to_head", "birth_date"))
        by_house: dict[int, list] = {}
        for pk, hid, rel, birth in rows:
            by_house.setdefault(hid, []).append((pk, rel, birth))
        houses = sorted(by_house)
        self.rng.shuffle(houses)
        for hid in houses:
            members = [m for m in by_house[hid] if m[0] not in taken]
            if members:
                out.append(members)
            if len(out) >= limit:
                break
        return out

    def _showcase(self):
        from shanzhi.geo.models import Region

        from .models import Program

        self._taken: set[int] = {getattr(self, "taken_for_resident", 0)}  # 李明 applies for himself
        villages = list(Region.objects.filter(parent=self.xxk).order_by("code"))
        per_village = 3 if self.scale == "tiny" else 12
        programs = {p.code: p for p in Program.objects.all()}
        self.apps = []
        n = 0
        span = 330  # the year of applications
        home = self.aide.posts.filter(role="civil_affairs").values_list("region_id", flat=True).first()
        for village in villages:
            for members in self._people(village, per_village):
                n += 1
                start = self.now - dt.timedelta(days=self.rng.randint(0, 24) if self.rng.random() < 0.22 else self.rng.randint(
                    25, span), hours=self.rng.randint(0, 6))
                # Office hours, local time, and never later than now.
                start = timezone.localtime(start).replace(hour=9 + self.rng.randint(0, 6), minute=self.rng.randint(0, 59))
                if start > self.now - dt.timedelta(hours=1):
                    start = self.now - dt.timedelta(hours=self.rng.randint(1, 6))
                field_actor = self.aide if village.pk == home else self.town_civil
                try:
                    with transaction.atomic():
                        self._family_story(members, village, start, field_actor, programs, n)
                except Exception as exc:  # noqa: BLE001 — one odd registry household must not stop the demo
                    self.log(f"  跳过一户：{exc}")
        self.counts["assistance_applications"] = len(self.apps)

    def _family_story(self, members, village, start, field_actor, programs, n):
        from . import services
        from .models import Member

        rng = self.rng
        head = members[0][0]
        family = services.open_family(actor=field_actor, head=head, at=start - dt.timedelta(hours=2))
        story, kind = STORIES[n % len(STORIES)]
        family.needs = story
        family.bank = rng.choice(["江苏江阴农村商业银行", "中国农业银行江阴支行", "中国邮政储蓄银行江阴支行"])
        from shanzhi.common import crypto

        family.account_sealed = crypto.seal(f"6228{rng.randrange(10**14, 10**15)}")
        family.save(update_fields=["needs", "bank", "account_sealed"])
        self._taken.add(head)
        for pk, rel, birth in members[1:4]:
            age = (start.date() - birth).days // 365
            work = Member.Work.NONE if age >= 70 or age < 16 else Member.Work.ABLE
            services.add_member(actor=field_actor, family_id=family.pk, person=pk,
                                relation=(rel or "家庭成员")[:10], work=work, at=start - dt.timedelta(hours=1))
            self._taken.add(pk)
        size = min(4, len(members))
        if n % 10 == 6:
            # Tekun: an old person alone, no work ability, no income beyond a small pension.
            Member.objects.filter(family=family).update(work=Member.Work.NONE)
            program = programs["TK01"]
            income = Decimal(rng.randint(150, 300)) * 12
        elif kind == "medical" and n % 3 == 0:
            program = programs["YL07"]  # deep assistance: large rigid expenses
            income = Decimal(rng.randint(2200, 3200)) * 12 * size
        elif n % 7 == 3:
            program = programs["DB03"]
            income = Decimal(rng.randint(1300, 1700)) * 12 * size
        elif n % 11 == 5:
            program = programs["LS01"]
            income = Decimal(rng.randint(900, 1500)) * 12 * size
        else:
            program = programs["DB01"]
            income = Decimal(rng.randint(350, 1050)) * 12 * size
        year0 = (start - dt.timedelta(days=400)).date()
        services.add_income(actor=field_actor, family_id=family.pk, kind="wage" if n % 4 else "transfer",
                            start=year0, end=(start - dt.timedelta(days=20)).date(),
                            amount=str((income * Decimal(380) / Decimal(365)).quantize(CENT)),
                            note="打零工收入" if n % 4 else "城乡居民基础养老金", at=start - dt.timedelta(minutes=50))
        if rng.random() < 0.4:
            services.add_asset(actor=field_actor, family_id=family.pk, kind="deposit",
                               value=str(rng.randint(2, 30) * 1000), note="银行存款", at=start - dt.timedelta(minutes=40))
        if kind == "medical":
            big = program.code == "YL07"
            for _i in range(rng.randint(1, 3)):
                total = rng.randint(60, 320) * 1000 if big else rng.randint(8, 60) * 1000
                services.add_expense(actor=field_actor, family_id=family.pk, kind="medical",
                                     incurred_on=(start - dt.timedelta(days=rng.randint(10, 300))).date(),
                                     total=str(total), self_paid=str(int(total * rng.uniform(0.35, 0.6))),
                                     note=rng.choice(["江阴市人民医院住院", "无锡市第二人民医院", "江阴市中医院门诊慢特病"]),
                                     at=start - dt.timedelta(minutes=30))
        channel = rng.choice(["counter", "counter", "agent"])
        app = services.submit(actor=field_actor, program=program.pk, reason=story, channel=channel, family=family.pk,
                              at=start)
        self.apps.append(app)
        self._play(app, start, field_actor)

    def _play(self, app, start, field_actor):
        """How far this application got, by its age: recent ones are still on their way."""
        from . import services

        rng = self.rng
        age = (self.now - start).days
        t = start + dt.timedelta(days=rng.choice([0, 1, 1, 2, 3]), hours=1)
        if age < 2 or t >= self.now:
            return
        if rng.random() < 0.04:
            services.not_accept(actor=self.town_civil, case_id=app.pk, at=t,
                                reason="申请人户籍不在本镇，已告知向户籍地镇（街道）申请")
            return
        services.accept(actor=self.town_civil, case_id=app.pk, at=t)
        t += dt.timedelta(days=rng.randint(2, 6), hours=2)
        if t >= self.now - dt.timedelta(hours=3):
            return
        services.record_visit(actor=field_actor, case_id=app.pk, at=t, present="申请人及配偶",
                              housing=rng.choice(["自建两层楼房，年久失修", "老旧平房一间半", "租住镇区出租屋"]),
                              findings=rng.choice(["家中陈设简陋，无大额财产，情况属实", "申请人卧病在床，家庭收入来源单一，情况属实",
                                                   "家中有一辆旧电动三轮车，其余无贵重财产"]), companions="村民政协理员、网格员")
        t += dt.timedelta(hours=rng.randint(2, 30))
        result = services.run_assessment(actor=field_actor, case_id=app.pk, at=t)
        t += dt.timedelta(days=rng.randint(1, 8))
        if t >= self.now - dt.timedelta(hours=2):
            return
        if not result.eligible:
            services.refuse(actor=self.town_civil, case_id=app.pk, at=t,
                            reason="经核对，家庭月人均收入高于当地低保标准，不符合条件")
            return
        if rng.random() < 0.03:
            services.withdraw(actor=self.town_civil, case_id=app.pk, at=t, reason="申请人子女承诺负担赡养，主动撤回")
            return
        services.propose(actor=self.town_civil, case_id=app.pk, at=t)
        if rng.random() < 0.08:
            obj = services.record_objection(actor=field_actor, case_id=app.pk, text="有村民反映申请人儿子在外地经商，收入较高",
                                            at=t + dt.timedelta(days=2))
            services.answer_objection(actor=self.town_civil, case_id=app.pk, objection_id=obj.pk, upheld=False,
                                      answer="经核实，申请人儿子已分户多年，在外务工收入一般，异议不成立",
                                      at=t + dt.timedelta(days=4))
        t += dt.timedelta(days=7, hours=rng.randint(1, 48))
        if t >= self.now:
            return
        services.notice_end(actor=self.town_civil, case_id=app.pk, at=t)
        t += dt.timedelta(days=rng.randint(1, 12), hours=3)
        if t >= self.now - dt.timedelta(hours=1):
            return
        services.confirm(actor=self.county_civil, case_id=app.pk, at=t)

    # ------------------------------------------------------------------ the other towns
    def _migrated(self):
        """Enrolments carried over from the old system (存量保障对象), so the county's figures and
        payment lists cover every town."""
        from shanzhi.common import counters
        from shanzhi.geo.models import Region
        from shanzhi.registry.models import Person

        from .models import Beneficiary, Family, Group, Member, Program

        per_village = 2 if self.scale == "tiny" else 14
        programs = {p.code: p for p in Program.objects.filter(code__in=["DB01", "DB03", "TK01", "TK03", "JY07",
                                                                        "DB04", "ZF03", "JU02"])}
        villages = Region.objects.filter(level=Region.Level.VILLAGE).exclude(parent=self.xxk).select_related("parent")
        taken = set(Member.objects.values_list("person_id", flat=True))
        fams, members, enrol = [], [], []
        first_month = (self.now - dt.timedelta(days=500)).date().replace(day=1)
        for village in villages:
            heads = list(Person.objects.filter(region=village, household__isnull=False,
                                               relation_to_head__in=["户主", "本人", ""]).exclude(pk__in=taken)
                         .values_list("pk", "household_id")[:per_village])
            for pk, hid in heads:
                code = self.rng.choices(["DB01", "DB03", "TK01", "JY07", "DB04", "ZF03", "JU02"],
                                        [60, 18, 9, 2, 5, 3, 3])[0]
                fams.append((Family(number="", head_id=pk, household_id=hid, region=village, town=village.parent,
                                    group={"DB01": Group.DIBAO, "TK01": Group.TEKUN}.get(code, Group.EDGE),
                                    needs="存量保障对象（由原救助系统迁入）", changed_at=self.now), code, pk))
                taken.add(pk)
        if not fams:
            return
        last = counters.next_value("assist-family", len(fams))
        for i, (f, _c, _p) in enumerate(fams):
            f.number = f"JZ{timezone.localtime(self.now):%Y}{last - len(fams) + 1 + i:06d}"
        Family.objects.bulk_create([f for f, _c, _p in fams], batch_size=1000)
        made = {f.number: f for f in Family.objects.filter(number__in=[f.number for f, _c, _p in fams])}
        for f, code, pk in fams:
            fam = made[f.number]
            members.append(Member(family=fam, person_id=pk, relation="本人",
                                  work="none" if code == "TK01" else "able"))
            size = 1 if code in ("TK01", "JY07") else self.rng.randint(1, 4)
            amount = {"DB01": Decimal(self.rng.randint(300, 1100)) * size, "DB03": Decimal(300),
                      "TK01": Decimal(1625), "JY07": Decimal(2160), "DB04": Decimal(150), "ZF03": Decimal(500),
                      "JU02": Decimal(820)}[code]
            start = first_month + dt.timedelta(days=31 * self.rng.randint(0, 14))
            enrol.append(Beneficiary(family=fam, program=programs[code], town_id=fam.town_id, region_id=fam.region_id,
                                     members=size, amount=amount, start_month=start.replace(day=1),
                                     history=[{"at": self.now.isoformat(), "what": "migrated",
                                               "amount": str(amount)}]))
            if code == "TK01":
                enrol.append(Beneficiary(family=fam, program=programs["TK03"], town_id=fam.town_id,
                                         region_id=fam.region_id, members=1, amount=Decimal(150),
                                         start_month=start.replace(day=1), history=[]))
        Member.objects.bulk_create(members, batch_size=1000, ignore_conflicts=True)
        Beneficiary.objects.bulk_create(enrol, batch_size=1000)
        self.counts["assistance_migrated"] = len(enrol)

    # ------------------------------------------------------------------ money and warnings
    def _payments(self):
        from . import payments
        from .models import PaymentLine, PaymentList

        this = timezone.localdate(self.now).replace(day=1)
        months = []
        m = this
        for _i in range(3):
            months.insert(0, m)
            m = (m - dt.timedelta(days=1)).replace(day=1)
        for month in months:
            at = timezone.make_aware(dt.datetime.combine(month, dt.time(9))) + dt.timedelta(days=2)
            if at > self.now:
                at = self.now - dt.timedelta(hours=1)
            payments.run(month=month, actor=None, at=at)
            if month == this:
                continue  # this month's lists wait for the county's review
            for pl in PaymentList.objects.filter(month=month, state=PaymentList.State.DRAFT):
                payments.approve(actor=self.county_civil, plist_id=pl.pk, at=at + dt.timedelta(days=3))
                rows = [{"line": ln.pk, "result": "失败" if self.rng.random() < 0.004 else "成功",
                         "ref": f"JY{month:%Y%m}{ln.pk:08d}"}
                        for ln in pl.lines.filter(state=PaymentLine.State.PENDING)]
                if rows:
                    payments.reconcile(actor=self.county_civil, plist_id=pl.pk, rows=rows,
                                       at=at + dt.timedelta(days=6))
        self.counts["assistance_payment_lines"] = PaymentLine.objects.count()

    def _alerts(self):
        from shanzhi.registry.models import Person

        from . import feed
        from .models import Alert, AlertStatus, Member, Program, Signal

        rng = self.rng
        members = list(Member.objects.filter(family__town=self.xxk, left_at__isnull=True)
                       .values_list("person_id", flat=True))
        others = list(Person.objects.filter(region__parent=self.xxk).exclude(pk__in=members)
                      .values_list("pk", flat=True)[:400])
        people = {p.pk: p for p in Person.objects.filter(pk__in=members + others)}
        hospitals = ["江阴市人民医院", "江阴市中医院", "无锡市人民医院", "江苏省人民医院", "江阴市徐霞客镇卫生院"]
        n_batches = 4 if self.scale == "tiny" else 10
        total = 0
        for b in range(n_batches):
            at = self.now - dt.timedelta(days=(n_batches - b) * 9, hours=rng.randint(0, 8))
            rows = []
            for pid in rng.sample(members, min(len(members), 6 if self.scale == "tiny" else 30)) + \
                    rng.sample(others, min(len(others), 10 if self.scale == "tiny" else 80)):
                bill = rng.choice([rng.randint(800, 6000), rng.randint(3000, 20000), rng.randint(20000, 160000)])
                paid = int(bill * rng.uniform(0.15, 0.55))
                rows.append({"external_id": f"YB{at:%Y%m%d}{b:02d}{pid:07d}", "id_number": people[pid].id_number,
                             "occurred_on": (at - dt.timedelta(days=rng.randint(1, 6))).date().isoformat(),
                             "total": str(bill), "self_paid": str(paid),
                             "detail": {"hospital": rng.choice(hospitals), "diagnosis": rng.choice(
                                 ["住院", "门诊慢特病", "恶性肿瘤", "肾功能衰竭", "脑梗死"])}})
            total += feed.ingest(rows, source=Signal.Source.MEDICAL, via="api", batch=f"YB-DEMO-{b:02d}", at=at).accepted
        self.counts["assistance_signals"] = total
        # Older alerts were worked: verified, dismissed or turned into applications.
        program = Program.objects.get(code="LS01")
        for alert in Alert.objects.filter(town=self.xxk, status=AlertStatus.OPEN).order_by("raised_at"):
            if (self.now - alert.raised_at).days < 12 or rng.random() < 0.15:
                continue
            at = alert.raised_at + dt.timedelta(days=rng.randint(1, 6), hours=2)
            actor = self.aide if alert.region_id in self._aide_regions() else self.town_civil
            try:
                with transaction.atomic():
                    if rng.random() < 0.45:
                        feed.verify(actor=actor, alert_id=alert.pk, at=at, present="本人及家属", housing="自有住房",
                                    findings="家庭有其他稳定收入，医疗费用可承受，暂无需救助，纳入动态监测",
                                    needs_help=False)
                    else:
                        feed.verify(actor=actor, alert_id=alert.pk, at=at, present="本人及配偶", housing="自建房",
                                    findings="大额医疗支出导致家庭生活困难，情况属实", needs_help=True)
                        if rng.random() < 0.7:
                            feed.apply(actor=actor, alert_id=alert.pk, program=program.pk,
                                       reason="医保预警核实：大额医疗费用导致家庭生活暂时困难", at=at + dt.timedelta(hours=3))
            except Exception as exc:  # noqa: BLE001
                self.log(f"  预警处理跳过：{exc}")
        self.counts["assistance_alerts"] = Alert.objects.count()

    def _aide_regions(self):
        return set(self.aide.posts.filter(role="civil_affairs").values_list("region_id", flat=True))
