"""The demo's 福村宝 funds: every village and community of 徐霞客镇 runs one, with last year's and
this year's schemes, about three in four registered residents as members, the village
collective's share and local donations, and a dozen claims per village in every state — the
older ones paid and published, the recent ones still on their way.

Written in bulk (it has to take well under ten seconds), but every payout is computed by the same
``payout.compute`` the services use, against what the member had already been granted, and no
claim is approved beyond what its fund can pay."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from .payout import ZERO, compute, yuan

# name, public label, deductible, ratio, annual cap per person, weight among claims, self-paid range, hospitals
RULES = [
    ("恶性肿瘤", "", 5000, "0.5", 20000, 34, (8000, 60000),
     ["江阴市人民医院", "无锡市人民医院", "江苏省肿瘤医院", "复旦大学附属肿瘤医院", "江南大学附属医院"]),
    ("尿毒症透析", "", 3000, "0.5", 20000, 12, (6000, 32000), ["江阴市人民医院", "江阴市中医院", "无锡市第二人民医院"]),
    ("重症精神病", "其他重大疾病", 2000, "0.6", 10000, 7, (3500, 16000), ["无锡市精神卫生中心", "江阴市第三人民医院"]),
    ("白血病", "", 5000, "0.5", 30000, 4, (12000, 90000), ["苏州大学附属第一医院", "无锡市人民医院", "江苏省人民医院"]),
    ("器官移植", "其他重大疾病", 10000, "0.5", 30000, 3, (30000, 150000),
     ["无锡市人民医院", "江苏省人民医院", "上海交通大学医学院附属瑞金医院"]),
    ("一般住院", "", 10000, "0.3", 5000, 40, (11000, 40000),
     ["江阴市人民医院", "江阴市中医院", "江南大学附属医院", "无锡市人民医院", "江阴市第三人民医院"]),
]
DIAGNOSES = {"恶性肿瘤": ["肺恶性肿瘤术后化疗", "胃癌根治术", "乳腺恶性肿瘤放疗", "结肠癌术后", "肝恶性肿瘤介入治疗"],
             "尿毒症透析": ["慢性肾衰竭尿毒症期维持性血液透析", "腹膜透析"],
             "重症精神病": ["精神分裂症住院治疗", "双相情感障碍"],
             "白血病": ["急性髓系白血病化疗", "慢性粒细胞白血病"],
             "器官移植": ["同种异体肾移植术", "肝移植术后抗排异治疗"],
             "一般住院": ["脑梗死", "股骨颈骨折置换术", "冠心病支架植入", "重症肺炎", "腰椎间盘突出症手术"]}
DONORS = ["旅外乡贤", "本村乡贤联谊会", "徐霞客镇慈善分会"]
REFUSALS = ["经核对，出院小结诊断与申请病种不符，请按一般住院另行申请",
            "该次住院费用已由商业保险理赔，扣除后个人自付未超过起付线",
            "申请材料中的医保结算单为复印件且无法核实，请补交原件后重新申请"]
OFFICE = "村医疗互助理事会"


def build(*, now=None, seed: int = 2026, log=lambda m: None, scale: str | None = None) -> dict:
    """``scale`` is not needed: a village's members follow its registered residents."""
    return _Builder(now or timezone.now(), seed, log).run()


def _day(rng, lo: dt.date, hi: dt.date) -> dt.date:
    return lo + dt.timedelta(days=rng.randint(0, max((hi - lo).days, 0)))


def _at(day: dt.date, rng) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(8 + rng.randint(0, 8), rng.randint(0, 59))))


class _Builder:
    def __init__(self, now, seed, log):
        self.now, self.log = now, log
        self.rng = random.Random(seed * 53 + 17)
        self.today = timezone.localdate(now)
        self.counts: dict[str, int] = {}

    def run(self) -> dict:
        from shanzhi.accounts.models import User
        from shanzhi.geo.models import Region

        town = Region.objects.filter(name="徐霞客镇", level=Region.Level.TOWN).first()
        if town is None:
            return {}
        users = {u.username: u for u in User.objects.filter(username__in=["civil_affairs", "village_aide"])}
        self.town_civil = users.get("civil_affairs")
        self.aide = users.get("village_aide")
        self.aide_regions = set(self.aide.posts.filter(role="civil_affairs").values_list("region_id", flat=True)) \
            if self.aide else set()
        villages = list(Region.objects.filter(parent=town, level=Region.Level.VILLAGE).order_by("code"))
        self._funds(town, villages)
        self._members()
        self._income()
        self._claims()
        return self.counts

    # ------------------------------------------------------------------ funds and schemes
    def _funds(self, town, villages):
        from .models import DiseaseRule, Fund, FundYear

        rng = self.rng
        this = self.today.year
        funds = Fund.objects.bulk_create([
            Fund(region=v, town=town, name=f"{v.name}福村宝医疗互助基金", manager=f"{v.name}{OFFICE}",
                 established_on=dt.date(rng.randint(2019, 2023), rng.choice([1, 3, 7]), 1),
                 note="村民自愿参加、村级筹资、互助共济") for v in villages])
        years = []
        for fund in funds:
            fee = rng.choice([50, 60, 80, 100])
            cap = rng.choice([30000, 40000, 50000])
            for year in (this - 1, this):
                years.append(FundYear(
                    fund=fund, year=year, contribution=Decimal(fee + (10 if year == this and fee < 100 else 0)),
                    join_from=dt.date(year - 1, 11, 1), join_until=dt.date(year, 3, 31), cover_from=dt.date(year, 1, 1),
                    cover_until=dt.date(year, 12, 31), person_cap=Decimal(cap),
                    basis=f"《{fund.region.name}福村宝医疗互助实施细则》（{year - 1}年12月村民代表大会通过）"))
        years = FundYear.objects.bulk_create(years)
        rules = []
        for fy in years:
            for i, (name, label, deductible, ratio, cap, *_rest) in enumerate(RULES, start=1):
                rules.append(DiseaseRule(fund_year=fy, name=name, public_label=label, deductible=Decimal(deductible),
                                         ratio=Decimal(ratio), cap=Decimal(cap), order=i))
        DiseaseRule.objects.bulk_create(rules)
        self.funds = funds
        self.years = {(fy.fund_id, fy.year): fy for fy in years}
        self.fy_by_id = {fy.pk: fy for fy in years}
        self.rules = {}
        for r in DiseaseRule.objects.filter(fund_year__in=years):
            self.rules.setdefault(r.fund_year_id, {})[r.name] = r
        self.counts["mutualaid_funds"] = len(funds)

    # ------------------------------------------------------------------ members and money
    def _members(self):
        from shanzhi.registry.models import Person

        from .models import Income, Membership

        rng = self.rng
        this = self.today.year
        members, self.by_year = [], {}
        for fund in self.funds:
            people = list(Person.objects.filter(region_id=fund.region_id, residence="registered").order_by("id")
                          .values_list("pk", flat=True))
            last = {pk for pk in people if rng.random() < 0.72}
            now_in = {pk for pk in people if rng.random() < (0.9 if pk in last else 0.35)}
            for year, chosen in ((this - 1, last), (this, now_in)):
                fy = self.years[(fund.pk, year)]
                until = min(fy.join_until, self.today)
                for pk in sorted(chosen):
                    members.append(Membership(fund=fund, fund_year=fy, person_id=pk, contribution=fy.contribution,
                                              paid_on=_day(rng, fy.join_from, until)))
        members = Membership.objects.bulk_create(members, batch_size=2000)
        incomes = []
        for m in members:
            self.by_year.setdefault(m.fund_year_id, []).append(m)
            incomes.append(Income(fund_id=m.fund_id, fund_year_id=m.fund_year_id, kind=Income.Kind.MEMBER,
                                  amount=m.contribution, received_on=m.paid_on, source="个人缴费", membership=m,
                                  recorded_at=_at(m.paid_on, rng)))
        Income.objects.bulk_create(incomes, batch_size=2000)
        self.counts["mutualaid_members"] = len(members)

    def _income(self):
        from shanzhi.registry.models import Organisation

        from .models import Income

        rng = self.rng
        rows = []
        self.income: dict[int, Decimal] = {}
        for fund in self.funds:
            companies = list(Organisation.objects.filter(region_id=fund.region_id).order_by("id")
                             .values_list("name", flat=True)[:6])
            for (fid, year), fy in self.years.items():
                if fid != fund.pk:
                    continue
                n = len(self.by_year.get(fy.pk, []))
                fees = fy.contribution * n
                self.income[fund.pk] = self.income.get(fund.pk, ZERO) + fees
                day = min(dt.date(year, 4, 15), self.today)
                collective = (fees * Decimal("1.5")).quantize(Decimal(1))
                if collective > 0:
                    rows.append(Income(fund=fund, fund_year=fy, kind=Income.Kind.COLLECTIVE, amount=collective,
                                       received_on=day, source=f"{fund.region.name}村集体经济",
                                       note="村集体按个人缴费的 1.5 倍配套", recorded_at=_at(day, rng)))
                for _i in range(rng.randint(1, 2)):
                    donor = rng.choice(companies) if companies and rng.random() < 0.7 else rng.choice(DONORS)
                    amount = Decimal(rng.choice([5000, 10000, 10000, 20000, 30000]))
                    when = min(_day(rng, dt.date(year, 1, 20), dt.date(year, 10, 1)), self.today)
                    rows.append(Income(fund=fund, fund_year=fy, kind=Income.Kind.DONATION, amount=amount,
                                       received_on=when, source=donor, note="定向捐赠福村宝",
                                       recorded_at=_at(when, rng)))
                    self.income[fund.pk] += amount
                self.income[fund.pk] += collective
        Income.objects.bulk_create(rows)

    # ------------------------------------------------------------------ claims
    def _claims(self):
        from shanzhi.common import counters

        from .models import Claim, ClaimStep, Payment
        from .states import Action, Status

        rng = self.rng
        this = self.today.year
        plans = []  # (fund, membership, rule, dates, self_paid, hospital, state)
        for fund in self.funds:
            n = max(3, min(12, round(len(self.by_year.get(self.years[(fund.pk, this)].pk, [])) / 18)))
            split = {this - 1: max(1, n // 3)}
            split[this] = n - split[this - 1]
            for year, count in split.items():
                fy = self.years[(fund.pk, year)]
                pool = self.by_year.get(fy.pk, [])
                hi = min(fy.cover_until, self.today - dt.timedelta(days=3))
                if not pool or hi <= fy.cover_from:
                    continue
                for _i in range(count):
                    m = rng.choice(pool)
                    spec = rng.choices(RULES, [r[5] for r in RULES])[0]
                    lo = max(fy.cover_from, m.paid_on)
                    if lo >= hi:
                        continue
                    admitted = _day(rng, lo, hi - dt.timedelta(days=1))
                    discharged = min(admitted + dt.timedelta(days=rng.randint(3, 24)), hi)
                    submitted = _at(min(discharged + dt.timedelta(days=rng.randint(2, 15)), self.today), rng)
                    if submitted >= self.now:
                        submitted = self.now - dt.timedelta(hours=rng.randint(2, 20))
                    plans.append((fund, m, spec, admitted, discharged, submitted,
                                  Decimal(rng.randint(*spec[6])) + Decimal(rng.randint(0, 99)) / 100))
        plans.sort(key=lambda p: p[5])
        numbers = {}
        for year in (this - 1, this):
            k = sum(1 for p in plans if self._year(p[1]) == year)
            if k:
                last = counters.next_value(f"mutualaid-claim:{year}", k)
                numbers[year] = iter(range(last - k + 1, last + 1))
        used: dict[tuple, Decimal] = {}
        spent: dict[int, Decimal] = {}  # paid + approved-unpaid, per fund
        claims = []
        refusals = {fund.pk: rng.random() < 0.8 for fund in self.funds}
        for fund, m, spec, admitted, discharged, submitted, self_paid in plans:
            name = spec[0]
            fy_id = m.fund_year_id
            rule = self.rules[fy_id][name]
            fy = self.fy_by_id[fy_id]
            c = compute(self_paid=self_paid, rule_name=name, deductible=rule.deductible, ratio=rule.ratio, cap=rule.cap,
                        used_rule=used.get((m.pk, name), ZERO), person_cap=fy.person_cap,
                        used_year=used.get((m.pk, ""), ZERO))
            if c.amount <= 0:
                continue
            aide = fund.region_id in self.aide_regions
            steps = [(Action.SUBMIT, submitted, "", Status.SUBMITTED, self.aide if aide else None, "")]
            age = (self.now - submitted).days
            # How far it got, by its age: the last three weeks' claims are still being handled.
            target = Status.PAID if age > 20 else Status.APPROVED if age > 14 else Status.REVIEWED if age > 6 \
                else Status.SUBMITTED
            if target != Status.SUBMITTED and refusals[fund.pk] and age > 10 and rng.random() < 0.25:
                refusals[fund.pk] = False
                target = Status.REFUSED
            hospital = rng.choice(spec[7])
            record = {"status": Status.SUBMITTED, "reason": ""}
            t = submitted
            for status in (Status.REVIEWED, Status.APPROVED, Status.PAID):
                if target == Status.SUBMITTED:
                    break
                t = t + dt.timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 5))
                if t >= self.now:
                    break
                if target == Status.REFUSED and status == Status.APPROVED:
                    reason = rng.choice(REFUSALS)
                    steps.append((Action.REFUSE, t, record["status"], Status.REFUSED, self.town_civil, reason))
                    record.update(status=Status.REFUSED, reason=reason, refused_at=t)
                    break
                if status == Status.APPROVED and spent.get(fund.pk, ZERO) + c.amount > self.income.get(fund.pk, ZERO):
                    break  # the fund cannot cover it yet: it waits for the town
                action = {Status.REVIEWED: Action.REVIEW, Status.APPROVED: Action.APPROVE, Status.PAID: Action.PAY}[status]
                who = self.town_civil if status == Status.APPROVED else (self.aide if aide else None)
                note = {Status.REVIEWED: "材料齐全，情况属实", Status.APPROVED: f"同意补助 {yuan(c.amount)}",
                        Status.PAID: f"支付 {yuan(c.amount)}"}[status]
                steps.append((action, t, record["status"], status, who, note))
                record["status"] = status
                record[f"{status}_at"] = t
                if status == Status.APPROVED:
                    spent[fund.pk] = spent.get(fund.pk, ZERO) + c.amount
                    used[(m.pk, name)] = used.get((m.pk, name), ZERO) + c.amount
                    used[(m.pk, "")] = used.get((m.pk, ""), ZERO) + c.amount
                if status == target:
                    break
            year = self._year(m)
            claim = Claim(
                number=f"HZ{year}{next(numbers[year]):06d}", fund=fund, fund_year_id=fy_id, region_id=fund.region_id,
                town_id=fund.town_id, membership=m, rule=rule,
                status=record["status"], hospital=hospital, admitted_on=admitted, discharged_on=discharged,
                total_cost=(self_paid * Decimal(rng.choice(["2.2", "2.8", "3.5"]))).quantize(Decimal("0.01")),
                self_paid=self_paid, diagnosis=rng.choice(DIAGNOSES[name]), payout=c.amount, lines=c.lines,
                submitted_by=self.aide if aide else None, submitted_at=submitted,
                reviewed_by=self.aide if aide and record.get("reviewed_at") else None,
                reviewed_at=record.get("reviewed_at"),
                approved_by=self.town_civil if record.get("approved_at") else None,
                approved_at=record.get("approved_at"),
                refused_by=self.town_civil if record["status"] == Status.REFUSED else None,
                refused_at=record.get("refused_at"), refuse_reason=record["reason"], version=len(steps))
            claims.append((claim, steps, aide))
        made = Claim.objects.bulk_create([c for c, _s, _a in claims])
        rows, payments = [], []
        for claim, (_c, steps, _aide) in zip(made, claims, strict=True):
            village = claim.fund.region.name
            for action, at, before, after, who, note in steps:
                label = str(who) if who else (f"{village}{OFFICE}" if action != Action.PAY else f"{village}村委会报账员")
                if action == Action.SUBMIT:
                    note = f"{claim.rule.name}，{claim.hospital}，个人自付 {yuan(claim.self_paid)}，测算补助 {yuan(claim.payout)}"
                rows.append(ClaimStep(claim=claim, action=action, at=at, actor=who, actor_label=label[:100],
                                      from_status=before, to_status=after, note=note))
                if action == Action.PAY:
                    hidden = claim.rule.name == "重症精神病" and rng.random() < 0.5
                    payments.append(Payment(claim=claim, fund=claim.fund, amount=claim.payout, paid_at=at,
                                            paid_by=who, reference=f"FCB{at:%Y%m%d}{claim.pk:05d}",
                                            published=not hidden, published_at=None if hidden else at,
                                            unpublish_reason="监护人申请不予公示" if hidden else ""))
        ClaimStep.objects.bulk_create(rows, batch_size=2000)
        Payment.objects.bulk_create(payments)
        self._clocks(made, claims)
        self.counts["mutualaid_claims"] = len(made)
        self.counts["mutualaid_payments"] = len(payments)
        self.log(f"  福村宝：{len(self.funds)} 个村级基金，{self.counts['mutualaid_members']} 人次参保，"
                 f"{len(made)} 件申请，{len(payments)} 笔补助已发放")

    def _clocks(self, made, claims):
        """The running stage clock of each open claim, as the kernel would have started it at the
        claim's last step (the deadline scan then warns and marks what is late)."""
        from shanzhi.cases.clocks import warn_at
        from shanzhi.cases.models import Timer
        from shanzhi.common.workcal import WorkingCalendar
        from shanzhi.incidents.services.loop import town_code

        from .states import STAGE_OF

        calendars, timers, changed = {}, [], []
        for claim, (_c, steps, _a) in zip(made, claims, strict=True):
            stage = STAGE_OF.get(claim.status)
            if stage is None:
                continue
            if claim.town_id not in calendars:
                calendars[claim.town_id] = WorkingCalendar(town_code(claim.town_id))
            started = steps[-1][1]
            due = calendars[claim.town_id].add(started, 5, "working_days")
            timers.append(Timer(kind="mutualaid", case_id=claim.pk, stage=stage, round=1, amount=5,
                                unit="working_days", calendar=calendars[claim.town_id].region_code,
                                started_at=started, due=due, warn_at=warn_at(started, due)))
            claim.due = due
            changed.append(claim)
        Timer.objects.bulk_create(timers, batch_size=1000)
        from .models import Claim

        Claim.objects.bulk_update(changed, ["due"], batch_size=1000)

    def _year(self, membership) -> int:
        return self.fy_by_id[membership.fund_year_id].year
