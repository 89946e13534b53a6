def test_flow_submit_claim_approve(submitted_case, reviewer):
    from cases.services import case_approve, case_claim

    case = case_claim(actor=reviewer, case_id=submitted_case.pk)
    case = case_approve(actor=reviewer, case_id=case.pk)
    assert case.state == "approved"
