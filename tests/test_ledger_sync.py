"""A revision carried over: the revised Qingdao fixture (v2) against a ledger with history, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from conftest import Clock

POLICY = "qingdao_urban_rural_carbon_peak"
HOUSING = "市住房城乡建设局"
CITY = "市城市管理局"


def test_a_revision_is_carried_over_and_history_kept(ledger_factory) -> None:  # noqa: ANN001
    clock = Clock("2025-03-01T09:00:00")
    ledger = ledger_factory(clock)
    ledger.create(POLICY)
    [prefab] = [e for e in ledger.entries(unit=HOUSING) if "装配式建筑占城镇新建建筑的比例" in e.target]
    [materials] = [e for e in ledger.entries(unit=CITY) if e.task_id == "四（十四）"]
    [rural] = [e for e in ledger.entries(unit=HOUSING) if e.task_id == "三（八）"]
    [infra_lead] = [e for e in ledger.entries() if e.task_id == "二（五）" and e.role == "牵头"]
    ledger.update(prefab.id, by="张三", note="已完成 38 万平方米", status="推进中", value=38)
    ledger.update(materials.id, by="王五", note="正在推广绿色建材", status="推进中")
    ledger.update(rural.id, by="赵六", note="提前安排", due=date(2025, 9, 30))
    assert ledger.sync() == []  # nothing to carry over yet

    ledger.revise()
    clock.set("2025-06-02T09:00:00")
    [report] = ledger.sync(by="督查室")
    assert (report.old_version, report.new_version) == ("v1", "v2")
    assert report.closed == 1 and report.added == 6  # the 5 units of the new 三（八） and 市工业和信息化局 in 四（十五）
    assert any("50→55" in line for line in report.changes)

    after = ledger.entry(prefab.id)
    assert (after.task_id, after.plan_version, after.status, after.progress_value) == ("四（十四）", "v2", "推进中", 38)
    assert after.target_value == 55 and "55%" in after.target
    assert [r["text"] for r in ledger.reports(prefab.id)] == ["已完成 38 万平方米"]
    history = {(h["field"], h["old"], h["new"]) for h in ledger.history(prefab.id) if h["action"] == "sync"}
    assert ("task_id", "四（十三）", "四（十四）") in history
    assert any(f == "targets" and "50%" in old and "55%" in new and "55%" not in old for f, old, new in history)

    closed = ledger.entry(materials.id)
    assert closed.status == "已取消" and "不再将市城市管理局列为该任务的责任单位" in closed.closed_reason
    assert [r["text"] for r in ledger.reports(materials.id)] == ["正在推广绿色建材"]
    new_units = {e.unit for e in ledger.entries() if e.task_id == "四（十五）" and e.status != "已取消"}
    assert "市工业和信息化局" in new_units and CITY not in new_units

    moved = ledger.entry(rural.id)
    assert moved.task_id == "三（九）" and moved.due_date == date(2025, 9, 30)  # a person's date is kept
    added = [e for e in ledger.entries() if e.task_id == "三（八）"]
    assert {e.unit for e in added} == {"市水务管理局", "市城市管理局", "市生态环境局", "市农业农村局", "各区市"}
    assert all(e.plan_version == "v2" and e.status == "未启动" for e in added)

    roles = {e.unit: e.role for e in ledger.entries() if e.task_id == "二（五）"}
    assert roles[CITY] == "牵头" and roles[HOUSING] == "配合"
    assert ledger.entry(infra_lead.id).role == "配合"

    year = [e for e in ledger.entries() if e.task_id == "二（一）"][0]
    assert year.due_date == date(2026, 12, 31)  # 轨道交通 2025 → 2026: the derived date follows
    assert ledger.sync() == []  # carried over once
    assert [p["version"] for p in ledger.plans() if p["current"]] == ["v2"]
