from __future__ import annotations

from assistant.hits import Retriever, retrieval_query


def test_question_words_are_removed_before_searching() -> None:
    assert retrieval_query("打造绿色生态城区由哪些单位负责？") == "打造绿色生态城区"
    assert retrieval_query("污泥无害化处置率要达到多少？") == "污泥无害化处置率"
    assert retrieval_query("谁？") == "谁？"  # nothing left: keep the question


def test_literal_questions_find_their_item(fake_engine) -> None:  # noqa: ANN001
    retriever = Retriever(fake_engine.index(), fake_engine.embedder)
    cases = {
        "装配式建筑占城镇新建建筑的比例": "四（十三）",
        "轨道交通运营总里程数": "二（一）",
        "建筑垃圾资源化利用率": "四（十四）",
        "农村生活污水治理率": "三（九）",
        "指导思想": "一（一）",
    }
    for query, item in cases.items():
        hits = retriever.search(query, k=3)
        assert hits[0].item_id == item, query
        assert hits[0].chunks and len(hits[0].chunks) == len(hits[0].chunk_dense)
        assert hits == sorted(hits, key=lambda h: -h.score)


def test_scope_limits_to_one_version(fake_engine) -> None:  # noqa: ANN001
    retriever = Retriever(fake_engine.index(), fake_engine.embedder)
    assert retriever.search("装配式建筑", scope={("no-such-policy", "v1")}) == []
    assert retriever.search("   ") == []
