"""A unit's duties: role, what the task asks in its own words, targets and deadline."""

from __future__ import annotations

from assistant.duties import duties_of, task_summary
from assistant.policies import read_policy

from conftest import DATA, QINGDAO


def test_duties_of_a_unit_in_the_bundled_plan() -> None:
    tasks = read_policy(QINGDAO).tasks
    duties = duties_of("市水务管理局", tasks, {"qingdao_urban_rural_carbon_peak": "青岛市城乡建设领域碳达峰工作方案"})
    assert [d.task_id for d in duties] == ["二（三）", "二（五）", "三（六）", "三（九）"]
    assert {d.role for d in duties} == {"配合"} and duties[0].plan_title == "青岛市城乡建设领域碳达峰工作方案"
    assert duties[0].text.startswith("在城市新建住区中推进完整社区创建") and "（责任单位" not in duties[0].text
    assert "到2030年，全市完整社区覆盖率提高到60%以上" in duties[0].targets


def test_an_inline_heading_is_left_out_of_the_summary() -> None:
    tasks = read_policy(DATA / "plans" / "plan_inline_lead.txt").tasks
    task = next(t for t in tasks if t.title == "推进绿色建造")
    assert task_summary(task).startswith("大力发展装配式建筑") and "牵头" not in task_summary(task)
    [duty] = [d for d in duties_of("市城市管理局", tasks) if d.task_id == task.id]
    assert duty.role == "配合" and not duty.lead_inferred
