"""Demo meetings and issues: a year of night-talk meetings in the five demo villages across the five
formats, attendance with its points, issues in every status (overdue and supervised ones too), and
in 罗翠村 a meeting that is open now, so its check-in code can be scanned.

Points go in through ledger.services.import_entries with the meeting or issue as the reference, so
`flask ledger verify` stays clean. Synthetic benchmark villages get meetings and issues only when
asked (bench/city_pages.py), without timelines.
"""
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.demo.places import by_another_member
from app.extensions import db
from app.ledger import services as ledger
from app.models import (Attendance, Household, Issue, IssueEvent, Meeting, MeetingHost, Region,
                        Rule, User)

FORMATS = ["group", "forum", "home_visit", "reception", "online"]
TOPICS = ["村道硬化和路灯安装", "人居环境整治", "垃圾分类怎么做", "农村饮水安全", "积分超市兑换商品征求意见",
          "防汛备汛", "产业发展和增收", "移风易俗", "孝老爱亲评议", "农房建设审批", "医保社保政策宣讲",
          "积分制管理细则修订"]
PLACES = ["村部会议室", "祠堂", "文化广场", "老年活动中心", "农户家中", "网上"]
HOSTS = [("村党支部书记", 4), ("村委会主任", 4), ("乡镇包村干部", 3), ("乡镇党委书记", 3),
         ("县直部门挂钩领导", 2), ("县领导", 2), ("市领导", 1)]
ISSUES = [("roads", "村口到学校的路没有路灯，晚上孩子回家不安全"), ("water", "自来水压力小，高处几户经常停水"),
          ("environment", "河边堆了建筑垃圾，没人清理"), ("safety", "老桥栏杆松动，有安全隐患"),
          ("welfare", "独居老人看病不方便，希望有人定期上门"), ("agriculture", "希望请农技员来讲讲油茶种植"),
          ("roads", "机耕路被雨水冲坏了"), ("environment", "垃圾桶太少，满了没人及时清运"),
          ("water", "灌溉水渠堵塞，影响春耕"), ("other", "希望村里开通公交站点")]
SUGGESTIONS = [("environment", "建议在村口设垃圾分类示范点"), ("welfare", "建议积分超市增加老人用品"),
               ("other", "建议夜谈会提前一天在微信群通知")]
# The plans (by index in PLANS) of 罗翠村 assigned to the demo unit account: resolved and
# confirmed, overdue and supervised, reopened.
UNIT_PLANS = {4, 11, 13}
UNITS = ["县水利局", "县交通运输局", "乡农业服务中心", "乡村建设办", "县供电公司", "村两委"]


def _local(day: datetime, hour: int) -> datetime:
    zone = ZoneInfo("Asia/Shanghai")
    return day.astimezone(zone).replace(hour=hour, minute=30, second=0, microsecond=0).astimezone(UTC)


def _rules(village_id: int) -> dict[str, Rule]:
    return {r.code: r for r in db.session.scalars(sa.select(Rule).where(Rule.village_id == village_id))}


def load(rng: random.Random, now: datetime, villages: list[Region], full: bool = True,
         meetings_per_village: int = 24) -> None:
    """Meetings, attendance and issues for each village; `full` adds issue timelines."""
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    committee = users.get("committee")
    rows = []
    for village in villages:
        households = list(db.session.scalars(sa.select(Household.id).where(
            Household.village_id == village.id).order_by(Household.number)))
        if not households:
            continue
        home = committee is not None and committee.region_id == village.id
        actor_id = committee.id if home else None
        rules = _rules(village.id)
        rows += _meetings(rng, now, village, households, rules, actor_id, home, users,
                          meetings_per_village)
        rows += _issues(rng, now, village, households, rules, actor_id, home, users, full)
    rows.sort(key=lambda row: row["created_at"])
    ledger.import_entries(by_another_member(rows, users))
    db.session.flush()


def _meetings(rng, now, village, households, rules, actor_id, home, users, count) -> list[dict]:
    """`count` meetings over a year, closed with points; in the home village one open now."""
    attend = rules.get("YS01")
    entries, attendance = [], []
    for n in range(count):
        day = now - timedelta(days=365 * (count - n) / count + rng.uniform(0, 5))
        meeting = Meeting(village_id=village.id, format=FORMATS[n % 5], topic=rng.choice(TOPICS),
                          starts_at=_local(day, 19), place=rng.choice(PLACES), status="closed",
                          planned_by=actor_id, opened_at=_local(day, 19), closed_by=actor_id,
                          closed_at=_local(day, 21), created_at=day - timedelta(days=3),
                          minutes="群众反映的问题已逐条登记，明确责任人和整改时限。")
        for name, level in rng.sample(HOSTS, rng.randint(2, 4)):
            meeting.hosts.append(MeetingHost(name=name, level=level))
        db.session.add(meeting)
        db.session.flush()
        # A quarter to over half of a small village; a large one still fills one room (~30-50).
        share = rng.uniform(0.25, 0.6) * min(1.0, 85 / len(households))
        present = [h for h in households if rng.random() < share]
        if home and n % 2 == 0 and "household" in users:  # the demo household came to every other meeting
            present = sorted(set(present) | {users["household"].household_id})
        for h in present:
            attendance.append(dict(meeting_id=meeting.id, household_id=h,
                                   method=rng.choice(["code", "code", "register"]),
                                   recorded_by=actor_id, created_at=meeting.starts_at))
            if attend is not None:
                entries.append(dict(household_id=h, village_id=village.id, points=attend.points,
                                    kind="award", rule_id=attend.id, ref_type="meeting",
                                    ref_id=meeting.id, note=f"参加夜谈会：{meeting.topic}",
                                    actor_id=actor_id, created_at=meeting.closed_at))
    if attendance:
        db.session.execute(sa.insert(Attendance), attendance)
    if home:
        _home_meetings(now, village, households, actor_id, users)
    return entries


def _home_meetings(now, village, households, actor_id, users) -> None:
    """罗翠村: a meeting open now (its code can be scanned) and one planned for next week."""
    open_now = Meeting(village_id=village.id, format="group", topic="今晚夜谈：村道路灯和积分超市",
                       starts_at=now - timedelta(minutes=20), place="罗翠村村部会议室", status="open",
                       planned_by=actor_id, opened_at=now - timedelta(minutes=20),
                       created_at=now - timedelta(days=2))
    open_now.hosts += [MeetingHost(name="罗翠村党支部书记", level=4),
                       MeetingHost(name="城关乡包村干部", level=3)]
    planned = Meeting(village_id=village.id, format="forum", topic="专题座谈：春耕水利",
                      starts_at=_local(now + timedelta(days=7), 19), place="罗翠村文化广场",
                      status="planned", planned_by=actor_id, created_at=now)
    planned.hosts.append(MeetingHost(name="明溪县水利局局长", level=2))
    db.session.add_all([open_now, planned])
    db.session.flush()
    # A few households are already in; `household` and `household2` can still check in.
    skip = {users["household"].household_id, users["household2"].household_id}
    db.session.execute(sa.insert(Attendance), [
        dict(meeting_id=open_now.id, household_id=h, method="code", recorded_by=actor_id,
             created_at=now - timedelta(minutes=10)) for h in households[2:14] if h not in skip])


# Each plan: (kind, final status, days ago raised, days to deadline, extra) where extra is one of
# "satisfied", "silent", "awaiting", "ontime", "overdue", "new", "reopened", "adopted", "suggested".
PLANS = [("satisfied", 300), ("satisfied", 240), ("satisfied", 180), ("satisfied", 120),
         ("satisfied", 60), ("silent", 90), ("awaiting", 20), ("awaiting", 12), ("ontime", 10),
         ("ontime", 5), ("overdue", 45), ("overdue", 30), ("new", 2), ("reopened", 25),
         ("adopted", 150), ("suggested", 4)]


def _issues(rng, now, village, households, rules, actor_id, home, users, full) -> list[dict]:
    """Issues and suggestions of a village in every status, with timelines and points."""
    entries = []
    meetings = list(db.session.scalars(sa.select(Meeting).where(
        Meeting.village_id == village.id, Meeting.status == "closed").order_by(Meeting.starts_at)))
    mine = users["household"].household_id if home else None
    for n, (plan, days) in enumerate(PLANS):
        suggestion = plan in ("adopted", "suggested")
        category, text = rng.choice(SUGGESTIONS if suggestion else ISSUES)
        raised = now - timedelta(days=days, hours=rng.uniform(0, 12))
        household_id = mine if mine and plan in ("awaiting", "satisfied", "overdue") and n % 2 == 0 \
            else rng.choice(households)
        from_meeting = [m for m in meetings if m.starts_at <= raised]
        meeting = from_meeting[-1] if from_meeting and n % 3 else None
        issue = Issue(village_id=village.id, household_id=household_id, kind="suggestion"
                      if suggestion else "issue", category=category, description=text,
                      meeting_id=meeting.id if meeting else None, created_at=raised,
                      public=n % 4 == 0, status="registered")
        db.session.add(issue)
        db.session.flush()
        steps = _steps(rng, now, issue, plan, raised, actor_id, home, users, n)
        if full:
            db.session.add_all(IssueEvent(issue_id=issue.id, action=a, status=s, note=note,
                                          actor_id=who, created_at=at) for a, s, note, at, who in steps)
        code = {"satisfied": "YS02", "silent": "YS02", "adopted": "YS03"}.get(plan)
        if code and code in rules:
            at = steps[-1][3]
            entries.append(dict(household_id=household_id, village_id=village.id,
                                points=rules[code].points, kind="award", rule_id=rules[code].id,
                                ref_type="issue", ref_id=issue.id, note=rules[code].name,
                                actor_id=None, created_at=at,
                                idempotency_key=f"issue:{issue.id}:"
                                f"{'adopted' if code == 'YS03' else 'resolved'}:{household_id}"))
    return entries


def _steps(rng, now, issue, plan, raised, actor_id, home, users, n=0):
    """Set the issue's final state and return its timeline (action, status, note, at, actor)."""
    steps = [("registered", "registered", "", raised, issue_actor(home, users))]
    if plan in ("new", "suggested"):
        return steps
    if plan == "adopted":
        issue.adopted = True
        steps.append(("adopted", "registered", "村两委研究后采纳", raised + timedelta(days=5), actor_id))
        return steps
    unit = rng.choice(UNITS)
    assigned = raised + timedelta(days=1)
    span = {"ontime": 20, "overdue": 10}.get(plan, rng.randint(7, 20))
    issue.responsible_unit = unit
    if home and plan in ("overdue", "ontime", "awaiting"):
        issue.responsible_user_id = users["committee"].id
        issue.responsible_unit = users["committee"].display_name or unit
    if home and n in UNIT_PLANS and "unit" in users:  # 明溪县水利局's account answers for these
        issue.responsible_user_id = users["unit"].id
        issue.responsible_unit = users["unit"].display_name
    issue.deadline = (assigned + timedelta(days=span)).date()
    issue.measures = "现场查看，制定方案，限期整改到位"
    issue.status = "handling"
    steps.append(("assigned", "handling", f"{issue.responsible_unit} · {issue.deadline} · {issue.measures}",
                  assigned, actor_id))
    if plan == "overdue":
        issue.supervised = True
        late = datetime.combine(issue.deadline, datetime.min.time(), UTC) + timedelta(days=1)
        steps.append(("overdue", "handling", str((now.date() - issue.deadline).days), late, None))
        steps.append(("supervision", "handling", "请责任单位加快进度，一周内反馈", late + timedelta(days=1),
                      users["city"].id))
        return steps
    if plan == "ontime":
        steps.append(("progress", "handling", "已到现场查看，正在准备材料", assigned + timedelta(days=2),
                      actor_id))
        return steps
    resolved = assigned + timedelta(days=rng.randint(2, max(3, span - 1)))
    if plan == "awaiting":  # recent, so the silence job leaves it waiting for the raiser's answer
        resolved = now - timedelta(days=rng.uniform(0.5, 3))
    steps.append(("resolved", "resolved", "已整改完成，请您确认", resolved, actor_id))
    if plan == "reopened":
        issue.satisfied = False
        issue.deadline = (now + timedelta(days=7)).date()
        steps.append(("reopened", "handling", "只修好了一部分", resolved + timedelta(days=1), None))
        return steps
    issue.status, issue.resolved_at = "resolved", resolved
    if plan == "awaiting":
        return steps
    confirmed = resolved + timedelta(days=2 if plan == "satisfied" else 8)
    issue.status, issue.confirmed_at = "confirmed", confirmed
    issue.satisfied = True if plan == "satisfied" else None
    steps.append(("confirmed" if plan == "satisfied" else "auto_confirmed", "confirmed",
                  "满意" if plan == "satisfied" else "", confirmed, None))
    return steps


def issue_actor(home, users):
    """Who registered a demo issue: the home committee, else nobody named."""
    return users["committee"].id if home else None
