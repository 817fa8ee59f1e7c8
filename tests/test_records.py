"""What a plan says it is: title, place, level, issuer, 文号 and date from its own text."""

from __future__ import annotations

from pathlib import Path

from assistant.clauses import parse_text
from assistant.records import content_hash, read_record

NOTICE = """福建省卫生健康委员会　福建省发展和改革委员会
福建省财政厅　福建省医疗保障局
关于印发福建省推动优质医疗资源扩容下沉实施方案的通知
闽卫发〔2025〕8号
各设区市卫生健康委：
现将《福建省推动优质医疗资源扩容下沉实施方案》印发给你们，请认真贯彻落实。

福建省卫生健康委员会　　　　福建省发展和改革委员会

福建省财政厅　　　　　　　　福建省医疗保障局

2025年3月5日

福建省推动优质医疗资源扩容下沉实施方案
为推动优质医疗资源扩容下沉，根据《关于推动公立医院高质量发展的意见》（国办发〔2021〕18号），制定本方案。
一、重点任务
（一）建设区域医疗中心
建成五个省级区域医疗中心。（责任单位：省卫生健康委）
"""


def test_a_joint_notice() -> None:
    record = read_record(parse_text(NOTICE, "p"))
    assert record.title == "福建省推动优质医疗资源扩容下沉实施方案"
    assert (record.place, record.level) == ("福建省", "省")
    assert record.issuer == "福建省卫生健康委员会、福建省发展和改革委员会、福建省财政厅、福建省医疗保障局"
    assert (record.doc_number, record.date) == ("闽卫发〔2025〕8号", "2025-03-05")


def test_a_number_cited_in_a_sentence_is_not_the_plans_own() -> None:
    text = NOTICE.replace("闽卫发〔2025〕8号\n", "")
    assert read_record(parse_text(text, "p")).doc_number == ""


def test_the_issuing_government_names_the_place() -> None:
    text = "宜宾市叙州区人民政府办公室\n关于印发叙州区供水方案的通知\n叙府办发〔2025〕9号\n" \
           "宜宾市叙州区人民政府办公室\n二〇二五年四月八日\n叙州区供水方案\n一、重点任务\n（一）建设水厂\n建设水厂。\n"
    record = read_record(parse_text(text, "p"))
    assert (record.place, record.level, record.date) == ("宜宾市叙州区", "区", "2025-04-08")


def test_content_hash_ignores_layout() -> None:
    assert content_hash("到2025年，\n完成 改造。") == content_hash("到2025年，完成改造。")
    assert content_hash("完成改造50个。") != content_hash("完成改造55个。")


def test_the_bundled_plan(tmp_path: Path) -> None:
    from assistant.policies import read_policy

    root = Path(__file__).resolve().parent.parent
    record = read_policy(root / "corpus" / "qingdao_urban_rural_carbon_peak.txt").record
    assert record is not None
    assert (record.title, record.place, record.level) == ("青岛市城乡建设领域碳达峰工作方案", "青岛市", "市")
    assert record.doc_number == ""  # 青政发〔2024〕5号 in its preamble is a document it cites
