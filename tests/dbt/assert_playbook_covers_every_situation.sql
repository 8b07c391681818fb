-- Every lifecycle stage x value tier x risk tier has an action in the playbook
-- seed: a user who deletes a row gets this failure, not customers without an action.
with

situations as (
    select stages.lifecycle_stage, value_tiers.value_tier, risk_tiers.risk_tier
    from (select 'new' as lifecycle_stage union all select 'active' union all select 'lapsed') as stages
    cross join (select 'high' as value_tier union all select 'low') as value_tiers
    cross join (select 'high' as risk_tier union all select 'low') as risk_tiers
)

select situations.*
from situations
left join {{ ref('retention_playbook') }} as playbook
    on situations.lifecycle_stage = playbook.lifecycle_stage
    and situations.value_tier = playbook.value_tier
    and situations.risk_tier = playbook.risk_tier
where playbook.recommended_action is null
