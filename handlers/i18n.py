"""The message catalogue: every user-visible sentence, in English and Chinese.

`t(key, locale, **values)` looks a message up and fills it in; `usage(key, locale)` gives the
usage line of a command. Tests check that every key has both languages and that every key
the code uses exists.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CATALOGUE", "USAGE", "t", "usage"]

_DATE_EXAMPLES_EN = 'today, tomorrow, fri, "next monday", "in 3 days", 2026-12-01, "Dec 1", eow, eom, "tomorrow 5pm"'
_DATE_EXAMPLES_ZH = "今天、明天、后天、周五、下周一、3天后、12月1日、月底、明天下午3点、2026-12-01"

CATALOGUE: dict[str, dict[str, str]] = {
    # --- parse errors ---
    "error.unclosed_quote": {"en": "A quote {quote} is not closed.", "zh": "引号 {quote} 没有闭合。"},
    "error.not_a_command": {"en": "Commands start with /, e.g. /help.", "zh": "命令以 / 开头,例如 /帮助。"},
    "error.unknown_command": {
        "en": "I don't know the command {command}. Try /help.",
        "zh": "不认识命令 {command}。试试 /帮助。",
    },
    "error.unknown_action": {"en": '/{area} has no action "{action}".', "zh": "/{area} 没有 “{action}” 这个操作。"},
    "error.unknown_option": {
        "en": 'Unknown option "{key}:". Put text with a colon in quotes.',
        "zh": "未知选项 “{key}:”。含冒号的文字请加引号。",
    },
    "error.duplicate_option": {"en": 'The option "{key}:" is given twice.', "zh": "选项 “{key}:” 重复了。"},
    "error.unexpected_mention": {
        "en": "This command takes no @mention ({value}).",
        "zh": "这个命令不接受 @提及({value})。",
    },
    "error.unexpected_text": {"en": 'I did not expect "{value}" here.', "zh": "这里不应有 “{value}”。"},
    "error.missing_title": {"en": "A title is missing.", "zh": "缺少标题。"},
    "error.missing_text": {"en": "The text is missing.", "zh": "缺少内容。"},
    "error.missing_ref": {"en": "Say which item, e.g. #12.", "zh": "请指明是哪一项,例如 #12。"},
    "error.unknown_filter": {"en": 'Unknown filter "{value}".', "zh": "未知的筛选 “{value}”。"},
    "error.missing_kind": {"en": 'Say which kind first ("{value}" is not one).', "zh": "请先写类别(“{value}” 不是)。"},
    "error.bad_ref": {"en": '"{value}" is not a number like #12 or R2.', "zh": "“{value}” 不是编号,应形如 #12 或 R2。"},
    "error.bad_user": {"en": '{key}: expects @people, got "{value}".', "zh": "{key}: 需要 @某人,收到的是 “{value}”。"},
    "error.one_user": {
        "en": '{key}: takes one person, got "{value}".',
        "zh": "{key}: 只能是一个人,收到的是 “{value}”。",
    },
    "error.missing_user": {"en": "Mention the people, e.g. @alice.", "zh": "请 @ 要操作的人。"},
    "error.empty_option": {"en": "The option {key}: has no value.", "zh": "选项 {key}: 没有值。"},
    "error.bad_scale": {
        "en": '{key}: must be a whole number from 1 to 5, got "{value}".',
        "zh": "{key}: 必须是 1 到 5 的整数,收到的是 “{value}”。",
    },
    "error.bad_choice": {
        "en": '{key}: "{value}" is not one of: {choices}.',
        "zh": "{key}: “{value}” 不是可选值之一:{choices}。",
    },
    "error.bad_timezone": {
        "en": '"{value}" is not a time zone; use a name like Asia/Shanghai or America/New_York.',
        "zh": "“{value}” 不是时区;请用 Asia/Shanghai 或 America/New_York 这样的名称。",
    },
    "error.bad_locale": {
        "en": 'Language "{value}" is not supported: use en or zh.',
        "zh": "不支持语言 “{value}”:请用 en 或 zh。",
    },
    "error.bad_country": {
        "en": '"{value}" is not a two-letter country code (e.g. CN, US) or none.',
        "zh": "“{value}” 不是两位国家代码(如 CN、US)或 none。",
    },
    "error.bad_time": {
        "en": '{key}: "{value}" is not a time of day like 09:30 or 5pm.',
        "zh": "{key}: “{value}” 不是时间,应形如 09:30 或 下午3点。",
    },
    "error.bad_duration": {
        "en": '{key}: "{value}" is not a duration like 30m, 2h or 1d.',
        "zh": "{key}: “{value}” 不是时长,应形如 30分钟、2小时、1天。",
    },
    "error.bad_days": {
        "en": '"{value}" is not a list of weekdays like mon-fri or mon,wed,fri.',
        "zh": "“{value}” 不是工作日列表,应形如 周一至周五 或 mon,wed,fri。",
    },
    "error.bad_days_count": {
        "en": '{key}: "{value}" is not a number of days from 1 to 30.',
        "zh": "{key}: “{value}” 不是 1 到 30 之间的天数。",
    },
    "error.bad_workdays": {
        "en": '{key}: "{value}" is not a number of working days like 5d or 2w (a week is 5 working days).',
        "zh": "{key}: “{value}” 不是工作日数,应形如 5天 或 2周(一周按 5 个工作日计)。",
    },
    "error.bad_predecessors": {
        "en": '{key}: "{value}" is not a list of tasks like #3,#4 or #3+2d (two working days after #3).',
        "zh": "{key}: “{value}” 不是任务列表,应形如 #3,#4 或 #3+2天(#3 完成后 2 个工作日)。",
    },
    "error.bad_percent": {
        "en": '{key}: "{value}" is not a percentage from 0% to 100%.',
        "zh": "{key}: “{value}” 不是 0% 到 100% 之间的百分比。",
    },
    "error.unknown_country": {
        "en": 'There is no holiday calendar for "{value}"; use a country code like CN or US, or none.',
        "zh": "没有 “{value}” 的节假日日历;请用 CN、US 这样的国家代码,或 none。",
    },
    "error.bad_due_soon": {
        "en": "due_soon must be between 1 hour and 14 days, not {value}.",
        "zh": "到期提醒必须在 1 小时到 14 天之间,而不是 {value}。",
    },
    "error.bad_bool": {"en": '{key}: say on or off, not "{value}".', "zh": "{key}: 请用 开 或 关,而不是 “{value}”。"},
    "error.bad_action": {"en": "This button is no longer valid.", "zh": "这个按钮已失效。"},
    "error.bad_date": {
        "en": 'I could not understand the date "{value}". Examples: ' + _DATE_EXAMPLES_EN + ".",
        "zh": "无法理解日期 “{value}”。例如:" + _DATE_EXAMPLES_ZH + "。",
    },
    "error.date_unknown_part": {
        "en": 'I could not understand "{part}" in the date "{value}". Examples: ' + _DATE_EXAMPLES_EN + ".",
        "zh": "无法理解日期 “{value}” 中的 “{part}”。例如:" + _DATE_EXAMPLES_ZH + "。",
    },
    "error.date_ambiguous": {
        "en": 'The date "{value}" is ambiguous: it could be {readings}. Write the one you '
        'mean that way (YYYY-MM-DD) or like "Dec 1".',
        "zh": "日期 “{value}” 有歧义:可能是 {readings}。请按这种写法(年-月-日)写出你要的那个,或写成 12月1日。",
    },
    "error.time_ambiguous": {
        "en": 'The time in "{value}" could be either side of midnight; write e.g. 23:30 or "tomorrow 1am".',
        "zh": "“{value}” 中的时间可能在午夜前后两边;请写成 23:30 或 明天凌晨1点 这样。",
    },
    "error.date_invalid": {
        "en": 'The date "{value}" does not exist. Examples: ' + _DATE_EXAMPLES_EN + ".",
        "zh": "日期 “{value}” 不存在。例如:" + _DATE_EXAMPLES_ZH + "。",
    },
    "error.date_reversed": {
        "en": 'The dates "{value}" are reversed: the range ends before it starts.',
        "zh": "日期范围 “{value}” 前后颠倒了:结束早于开始。",
    },
    "error.bad_weekday": {
        "en": '{key}: "{value}" is not a weekday like fri.',
        "zh": "{key}: “{value}” 不是星期几,应形如 周五 或 fri。",
    },
    # --- domain errors ---
    "error.conflict": {
        "en": "Someone changed this at the same moment; please try again.",
        "zh": "有人同时修改了这项内容,请重试。",
    },
    "error.internal": {
        "en": "Something went wrong on my side; the team has been told. Please try again.",
        "zh": "我这边出了点问题,已记录下来。请稍后重试。",
    },
    "error.unavailable": {
        "en": "I cannot reach my database right now, so nothing was changed. Please try again in a minute.",
        "zh": "暂时连不上数据库,这次什么都没有改动。请过一分钟再试。",
    },
    "error.no_project": {
        "en": 'This channel is not bound to a project yet. Start with /project init "Name".',
        "zh": "这个群还没有绑定项目。先用 /项目 初始化 “项目名”。",
    },
    "error.forbidden": {"en": "You cannot {what}. Ask {who}.", "zh": "你无权{what}。请联系 {who}。"},
    "error.no_task": {"en": "There is no task {ref} in this project.", "zh": "本项目中没有任务 {ref}。"},
    "error.no_risk": {"en": "There is no risk {ref} in this project.", "zh": "本项目中没有风险 {ref}。"},
    "error.no_retro": {"en": "There is no retro {ref} in this project.", "zh": "本项目中没有复盘 {ref}。"},
    "error.parent_cycle": {
        "en": "{ref} cannot be the parent: the tree would loop.",
        "zh": "{ref} 不能作为父任务:会形成循环。",
    },
    "error.self_dependency": {
        "en": "{ref} cannot come after itself.",
        "zh": "{ref} 不能以自己为前置任务。",
    },
    "error.dependency_other_project": {
        "en": "{ref} is a task of another project; dependencies link tasks of one project.",
        "zh": "{ref} 属于另一个项目;前置任务只能是本项目的任务。",
    },
    "error.dependency_cycle": {
        "en": "These tasks would wait for each other in a loop: {cycle}. Remove one of these dependencies.",
        "zh": "这些任务会互相等待,形成循环:{cycle}。请去掉其中一个依赖。",
    },
    "error.progress_status": {
        "en": "Progress {progress}% does not fit the status {status}: 100% is done, and work begun is in progress.",
        "zh": "进度 {progress}% 与状态“{status}”不符:100% 即完成,已开始的工作为进行中。",
    },
    "error.title_too_long": {
        "en": "The text is too long (at most {max} characters).",
        "zh": "内容太长(最多 {max} 个字符)。",
    },
    "error.too_long": {
        "en": "{what}The text is too long: {length} characters, at most {max}.",
        "zh": "{what}内容太长:{length} 个字符,最多 {max} 个。",
    },
    "error.user_too_long": {
        "en": '"{value}" is not a person: a user id has at most {max} characters.',
        "zh": "“{value}” 不是有效的人:用户 ID 最多 {max} 个字符。",
    },
    "error.one_responsible": {
        "en": "A task has one Responsible person; use C: and I: for others.",
        "zh": "一个任务只有一个负责人;其他人请用 咨询: 和 知会:。",
    },
    "error.nothing_to_update": {
        "en": "Say what to change, e.g. due:fri or status:doing.",
        "zh": "请说明要修改什么,例如 截止:周五 或 状态:进行中。",
    },
    "error.push_hours_on_date": {
        "en": "{value} moves a due by hours, but this due has no time; give one, "
        'e.g. due:"tomorrow 5pm", or move it by days (+1d).',
        "zh": "{value} 按小时推迟,但这个截止日期没有具体时间;请给出时间,例如 截止:明天下午5点,或按天推迟(+1d)。",
    },
    "error.one_filter": {"en": "Give one filter or one @person.", "zh": "只能给一个筛选条件或一个 @某人。"},
    "error.risk_already_closed": {"en": "Risk {ref} is already closed.", "zh": "风险 {ref} 已经关闭。"},
    "error.end_before_start": {"en": "The end date is before the start date.", "zh": "结束日期早于开始日期。"},
    "error.project_name_taken": {
        "en": 'A project named "{name}" already exists here.',
        "zh": "已存在名为 “{name}” 的项目。",
    },
    "error.already_bound": {
        "en": 'This channel is already bound to the project "{name}".',
        "zh": "这个群已绑定项目 “{name}”。",
    },
    "error.last_admin": {"en": "A project needs at least one admin.", "zh": "项目至少需要一位管理员。"},
    "error.not_admin": {
        "en": "{user} is not a project admin; nothing changed.",
        "zh": "{user} 不是项目管理员,未做任何更改。",
    },
    "error.standup_empty": {"en": "Write at least yesterday (y:) or today (t:).", "zh": "至少填写 昨天: 或 今天:。"},
    "error.bad_questions": {"en": "Give three questions separated by |.", "zh": "请给出三个问题,用 | 分隔。"},
    "error.summary_before_prompt": {
        "en": "The summary time must be after the standup time.",
        "zh": "汇总时间必须晚于站会时间。",
    },
    "error.retro_open": {"en": "A retro is already open; close it first.", "zh": "已有进行中的复盘,请先关闭。"},
    "error.no_open_retro": {
        "en": "No retro is open. Start one with /retro start.",
        "zh": "没有进行中的复盘。用 /复盘 开始 来发起。",
    },
    # --- what (for refusals) ---
    "what.cancel_task": {"en": "cancel task {ref}", "zh": "取消任务 {ref}"},
    "what.done_task": {"en": "complete task {ref}", "zh": "完成任务 {ref}"},
    "what.start_task": {"en": "start task {ref}", "zh": "开始任务 {ref}"},
    "what.block_task": {"en": "mark task {ref} blocked", "zh": "将任务 {ref} 标为阻塞"},
    "what.reopen_task": {"en": "reopen task {ref}", "zh": "重开任务 {ref}"},
    "what.task.edit": {"en": "change task {ref}", "zh": "修改任务 {ref}"},
    "what.task.status": {"en": "change the status of task {ref}", "zh": "修改任务 {ref} 的状态"},
    "what.task.roles": {
        "en": "change who is responsible, accountable, consulted or informed on task {ref}",
        "zh": "修改任务 {ref} 的负责人、审批人、咨询人或知会人",
    },
    "what.task.cancel": {"en": "cancel task {ref}", "zh": "取消任务 {ref}"},
    "what.task.delete": {"en": "delete task {ref}", "zh": "删除任务 {ref}"},
    "what.risk.edit": {"en": "change risk {ref}", "zh": "修改风险 {ref}"},
    "what.risk.close": {"en": "close risk {ref}", "zh": "关闭风险 {ref}"},
    "what.retro.close": {"en": "close this retro", "zh": "关闭这次复盘"},
    "what.project.set": {"en": "change the project's settings", "zh": "修改项目设置"},
    "what.project.admin": {"en": "change the project's admins", "zh": "修改项目管理员"},
    "what.project.baseline": {"en": "save the project's baseline", "zh": "保存项目基线"},
    "what.milestone.add": {"en": "add a milestone", "zh": "添加里程碑"},
    "what.standup.config": {"en": "change the standup settings", "zh": "修改站会设置"},
    # --- words ---
    "word.admins": {"en": "a project admin", "zh": "项目管理员"},
    "word.admin": {"en": "admin", "zh": "管理员"},
    "word.none": {"en": "none", "zh": "无"},
    "word.overdue_mark": {"en": "(overdue)", "zh": "(已逾期)"},
    "word.late": {"en": "late", "zh": "迟交"},
    "word.minutes": {"en": "{n} min", "zh": "{n} 分钟"},
    "word.yes": {"en": "yes", "zh": "是"},
    "word.no": {"en": "no", "zh": "否"},
    "ago.today": {"en": "earlier today", "zh": "今天早些时候"},
    "ago.yesterday": {"en": "yesterday", "zh": "昨天"},
    "ago.days": {"en": "{n} days ago", "zh": "{n} 天前"},
    "past.due": {
        "en": "⚠ {ref}: the due date {date} is {ago} — it is in the past.",
        "zh": "⚠ {ref}:截止日期 {date} 是{ago},已经过去了。",
    },
    "past.review": {
        "en": "⚠ {ref}: the review date {date} is {ago} — it is in the past.",
        "zh": "⚠ {ref}:复查日期 {date} 是{ago},已经过去了。",
    },
    "list.more": {"en": "… and {count} more", "zh": "…… 还有 {count} 项"},
    "language.en": {"en": "English", "zh": "英文"},
    "language.zh": {"en": "Chinese", "zh": "中文"},
    # --- enums ---
    "status.todo": {"en": "To do", "zh": "待办"},
    "status.doing": {"en": "In progress", "zh": "进行中"},
    "status.blocked": {"en": "Blocked", "zh": "阻塞"},
    "status.done": {"en": "Done", "zh": "已完成"},
    "status.cancelled": {"en": "Cancelled", "zh": "已取消"},
    "priority.low": {"en": "Low", "zh": "低"},
    "priority.medium": {"en": "Medium", "zh": "中"},
    "priority.high": {"en": "High", "zh": "高"},
    "priority.urgent": {"en": "Urgent", "zh": "紧急"},
    "level.low": {"en": "Low", "zh": "低"},
    "level.medium": {"en": "Medium", "zh": "中"},
    "level.high": {"en": "High", "zh": "高"},
    "level.critical": {"en": "Critical", "zh": "严重"},
    "risk_status.open": {"en": "Open", "zh": "未处理"},
    "risk_status.mitigating": {"en": "Mitigating", "zh": "应对中"},
    "risk_status.closed": {"en": "Closed", "zh": "已关闭"},
    "risk_status.occurred": {"en": "Occurred", "zh": "已发生"},
    "category.technical": {"en": "Technical", "zh": "技术"},
    "category.resource": {"en": "Resource", "zh": "资源"},
    "category.schedule": {"en": "Schedule", "zh": "进度"},
    "category.compliance": {"en": "Compliance", "zh": "合规"},
    "strategy.avoid": {"en": "Avoid", "zh": "规避"},
    "strategy.mitigate": {"en": "Mitigate", "zh": "减轻"},
    "strategy.transfer": {"en": "Transfer", "zh": "转移"},
    "strategy.accept": {"en": "Accept", "zh": "接受"},
    "filter.open": {"en": "open", "zh": "未完成"},
    "filter.mine": {"en": "mine", "zh": "我的"},
    "filter.overdue": {"en": "overdue", "zh": "已逾期"},
    "filter.all": {"en": "all", "zh": "全部"},
    "filter.done": {"en": "done", "zh": "已完成"},
    "filter.blocked": {"en": "blocked", "zh": "阻塞"},
    "filter.top": {"en": "top by score", "zh": "按评分排序"},
    "filter.closed": {"en": "closed", "zh": "已关闭"},
    # --- fields ---
    "field.task": {"en": "Task", "zh": "任务"},
    "field.status": {"en": "Status", "zh": "状态"},
    "field.priority": {"en": "Priority", "zh": "优先级"},
    "field.due": {"en": "Due", "zh": "截止"},
    "field.responsible": {"en": "Responsible", "zh": "负责 (R)"},
    "field.accountable": {"en": "Accountable", "zh": "批准 (A)"},
    "field.consulted": {"en": "Consulted", "zh": "咨询 (C)"},
    "field.informed": {"en": "Informed", "zh": "知会 (I)"},
    "field.parent": {"en": "Parent", "zh": "父任务"},
    "field.link": {"en": "Source", "zh": "来源"},
    "field.start": {"en": "Start", "zh": "开始"},
    "field.duration": {"en": "Duration", "zh": "工期"},
    "field.after": {"en": "After", "zh": "前置任务"},
    "field.progress": {"en": "Progress", "zh": "进度"},
    # the plan inputs of the task form (handlers.forms)
    "form.duration": {"en": "Duration (working days)", "zh": "工期(工作日)"},
    "form.duration_hint": {"en": "5d, 2w", "zh": "5天、2周"},
    "form.after": {"en": "Predecessors", "zh": "前置任务"},
    "form.after_hint": {
        "en": "#3, #4+2d (starts 2 working days after #4 finishes)",
        "zh": "#3、#4+2天(#4 完成 2 个工作日后开始)",
    },
    "form.progress": {"en": "Progress (%)", "zh": "进度 (%)"},
    "form.progress_hint": {"en": "0-100", "zh": "0-100"},
    "form.field_error": {"en": "{field}: {error}", "zh": "{field}:{error}"},
    "field.forecast": {"en": "Schedule", "zh": "计划"},
    "field.baseline": {"en": "Baseline", "zh": "基线"},
    "plan.workdays": {"en": "{n} working day(s)", "zh": "{n} 个工作日"},
    "plan.late_by": {"en": "{days} late", "zh": "晚 {days}"},
    "plan.early_by": {"en": "{days} early", "zh": "早 {days}"},
    "plan.on_plan": {"en": "on plan", "zh": "符合计划"},
    "plan.forecast": {
        "en": "earliest {early} · latest {late} · float {float}",
        "zh": "最早 {early} · 最晚 {late} · 浮动 {float}",
    },
    "plan.critical": {"en": "critical", "zh": "关键"},
    "plan.milestone": {"en": "◆ milestone", "zh": "◆ 里程碑"},
    "plan.rolled_up": {"en": "{days} (from its sub-tasks)", "zh": "{days}(由子任务汇总)"},
    "field.score": {"en": "Score", "zh": "评分"},
    "field.category": {"en": "Category", "zh": "类别"},
    "field.strategy": {"en": "Strategy", "zh": "策略"},
    "field.owner": {"en": "Owner", "zh": "负责人"},
    "field.risk_status": {"en": "Status", "zh": "状态"},
    "field.review": {"en": "Review", "zh": "复查日期"},
    "field.trigger": {"en": "Trigger", "zh": "触发条件"},
    "field.mitigation": {"en": "Mitigation", "zh": "缓解措施"},
    "field.contingency": {"en": "Contingency", "zh": "应急预案"},
    "field.goal": {"en": "Goal", "zh": "目标"},
    "field.dates": {"en": "Dates", "zh": "起止日期"},
    "field.timezone": {"en": "Time zone", "zh": "时区"},
    "field.language": {"en": "Language", "zh": "语言"},
    "field.holidays": {"en": "Holidays", "zh": "节假日"},
    "field.standup": {"en": "Standup", "zh": "站会"},
    "field.time": {"en": "Time", "zh": "时间"},
    "field.days": {"en": "Days", "zh": "日期"},
    "field.remind": {"en": "Reminder after", "zh": "提醒间隔"},
    "field.summary": {"en": "Summary at", "zh": "汇总时间"},
    "field.enabled": {"en": "Enabled", "zh": "启用"},
    "field.questions": {"en": "Questions", "zh": "问题"},
    "field.title": {"en": "Title", "zh": "标题"},
    "field.description": {"en": "Description", "zh": "描述"},
    "field.probability": {"en": "Probability (1-5)", "zh": "概率 (1-5)"},
    "field.impact": {"en": "Impact (1-5)", "zh": "影响 (1-5)"},
    "form.new_task": {"en": "New task", "zh": "新建任务"},
    "form.edit_task": {"en": "Edit task {ref}", "zh": "编辑任务 {ref}"},
    "form.new_risk": {"en": "New risk", "zh": "登记风险"},
    "form.edit_risk": {"en": "Edit risk {ref}", "zh": "编辑风险 {ref}"},
    "form.left_out": {
        "en": "{field} has {length} characters, more than a form field holds ({max}), so it is not "
        "in this form and saving leaves it as it is. Change it with {command}",
        "zh": "{field}共 {length} 个字符，超过表单输入框的上限（{max}），因此不在本表单中，保存时保持不变。"
        "请用 {command} 修改。",
    },
    "button.create": {"en": "Create", "zh": "创建"},
    "button.save": {"en": "Save", "zh": "保存"},
    "button.edit": {"en": "Edit", "zh": "编辑"},
    # --- buttons ---
    "button.start": {"en": "Start", "zh": "开始"},
    "button.done": {"en": "Done", "zh": "完成"},
    "button.snooze": {"en": "Snooze 1 day", "zh": "延后一天"},
    "button.move_today": {"en": "Move to today", "zh": "改到今天"},
    "button.move_next_working_day": {"en": "Move to next working day", "zh": "改到下一个工作日"},
    "button.complete_children": {"en": "Complete them too", "zh": "一并完成"},
    "button.reopen": {"en": "Reopen", "zh": "重开"},
    "button.mitigating": {"en": "Mitigating", "zh": "开始应对"},
    "button.occurred": {"en": "Occurred", "zh": "已发生"},
    "button.close": {"en": "Close", "zh": "关闭"},
    "button.close_retro": {"en": "Close and archive", "zh": "关闭并归档"},
    "button.submit": {"en": "Submit", "zh": "提交"},
    # --- tasks ---
    "task.created": {"en": "{user} created task {ref}.", "zh": "{user} 创建了任务 {ref}。"},
    "milestone.created": {"en": "{user} created milestone {ref}.", "zh": "{user} 创建了里程碑 {ref}。"},
    "milestone.forecast": {"en": "forecast {date}", "zh": "预测 {date}"},
    "milestone.vs_date": {"en": "{slip} for its date", "zh": "比目标日期{slip}"},
    "milestone.baseline": {"en": "baseline {date}", "zh": "基线 {date}"},
    "milestone.list_title": {"en": "Milestones: {count}", "zh": "里程碑:{count} 个"},
    "milestone.list_empty": {
        "en": 'No milestones yet. /milestone add "Go-live" date:… adds one.',
        "zh": "还没有里程碑。用 /里程碑 新建 “上线” 日期:… 添加。",
    },
    "baseline.none_title": {"en": "No baseline", "zh": "没有基线"},
    "baseline.none": {
        "en": "No baseline saved yet. /project baseline saves today's plan.",
        "zh": "还没有保存基线。/项目 基线 保存当前计划。",
    },
    "baseline.title": {"en": "Baseline saved {saved} by {user}", "zh": "基线:{user} 于 {saved} 保存"},
    "baseline.finish": {"en": "Planned finish: {date}", "zh": "计划完成:{date}"},
    "baseline.saved": {
        "en": "{user} saved the baseline: {count} task(s), planned finish {date}.",
        "zh": "{user} 保存了基线:{count} 项任务,计划完成 {date}。",
    },
    "baseline.replaced": {
        "en": "{user} replaced the baseline: {count} task(s), planned finish {date}.",
        "zh": "{user} 替换了基线:{count} 项任务,计划完成 {date}。",
    },
    "baseline.replace_title": {
        "en": "A baseline saved {saved} by {user} exists.",
        "zh": "已有基线({user} 于 {saved} 保存)。",
    },
    "baseline.replace_text": {
        "en": "Replace it with today's plan? The old planned dates are then gone.",
        "zh": "要用当前计划替换它吗?原来的计划日期将不再保留。",
    },
    "button.replace_baseline": {"en": "Replace baseline", "zh": "替换基线"},
    "button.show_baseline": {"en": "Show baseline", "zh": "查看基线"},
    "schedule.title": {"en": "Schedule — {name} — {date}", "zh": "进度 — {name} — {date}"},
    "schedule.forecast": {"en": "Forecast finish: {date}", "zh": "预测完成:{date}"},
    "schedule.vs_baseline": {"en": "Baseline finish {date}: {slip}", "zh": "基线完成 {date}:{slip}"},
    "schedule.vs_end": {"en": "Project end {date}: {slip}", "zh": "项目结束 {date}:{slip}"},
    "schedule.critical": {"en": "Critical path", "zh": "关键路径"},
    "schedule.milestones": {"en": "Milestones", "zh": "里程碑"},
    "schedule.behind": {"en": "Behind plan ({count})", "zh": "落后于计划({count} 项)"},
    "schedule.behind_line": {
        "en": "{ref} {title} · {done}% done, plan {plan}%",
        "zh": "{ref} {title} · 完成 {done}%,计划 {plan}%",
    },
    "schedule.no_baseline": {
        "en": "Save a baseline (/project baseline) to compare progress with the plan.",
        "zh": "保存基线(/项目 基线)后才能对比进度与计划。",
    },
    "schedule.float_title": {"en": "Float of open tasks: {count}", "zh": "未完成任务的浮动时间:{count} 项"},
    "schedule.float": {"en": "float {float}", "zh": "浮动 {float}"},
    "slip.title": {"en": "The plan slipped — {name}", "zh": "计划延误 — {name}"},
    "slip.milestone_title": {"en": "Milestone at risk: {ref} {title}", "zh": "里程碑有风险:{ref} {title}"},
    "slip.line_due": {
        "en": "{ref} {title} forecast {date}, {days} after its due ({target})",
        "zh": "{ref} {title} 预测 {date} 完成,比截止日期({target})晚 {days}",
    },
    "slip.line_baseline": {
        "en": "{ref} {title} forecast {date}, {days} after its baseline ({target})",
        "zh": "{ref} {title} 预测 {date},比基线({target})晚 {days}",
    },
    "slip.line_start": {
        "en": "{ref} {title} forecast {date}, {days} past the planned start of {next} ({target})",
        "zh": "{ref} {title} 预测 {date} 完成,比 {next} 的计划开始({target})晚 {days}",
    },
    "slip.because": {"en": ", because {ref} {title} slipped", "zh": ",因为 {ref} {title} 延误了"},
    "slip.because_own": {"en": ", because its own work runs late", "zh": ",因为其自身工作落后"},
    "slip.because_not_started": {"en": ", because it has not started", "zh": ",因为它尚未开始"},
    "task.updated": {"en": "{user} updated task {ref}.", "zh": "{user} 更新了任务 {ref}。"},
    "task.done": {"en": "✔ {user} completed {ref} {title}.", "zh": "✔ {user} 完成了 {ref} {title}。"},
    "task.started": {"en": "{user} started {ref} {title}.", "zh": "{user} 开始了 {ref} {title}。"},
    "task.blocked": {"en": "⛔ {user} marked {ref} {title} blocked.", "zh": "⛔ {user} 将 {ref} {title} 标为阻塞。"},
    "task.reopened": {"en": "{user} reopened {ref} {title}.", "zh": "{user} 重开了 {ref} {title}。"},
    "task.cancelled": {"en": "{user} cancelled {ref} {title}.", "zh": "{user} 取消了 {ref} {title}。"},
    "task.deleted": {"en": "{user} deleted {ref} {title}.", "zh": "{user} 删除了 {ref} {title}。"},
    "task.open_children": {"en": "{count} sub-task(s) stay open: {refs}.", "zh": "{count} 个子任务仍未完成:{refs}。"},
    "task.unchanged": {"en": "Nothing changed on task {ref}.", "zh": "任务 {ref} 没有变化。"},
    "risk.unchanged": {"en": "Nothing changed on risk {ref}.", "zh": "风险 {ref} 没有变化。"},
    # --- importing a plan (handlers/importing.py, `pmbot import tasks`) ---
    "import.at_cell": {"en": "row {row}, column {column}: {text}", "zh": "第 {row} 行,{column} 列:{text}"},
    "import.at_row": {"en": "row {row}: {text}", "zh": "第 {row} 行:{text}"},
    "import.usage": {
        "en": 'Columns (English or Chinese headers, see README "Import"): {columns}. Nothing was imported.',
        "zh": "可用的列(表头可用中文或英文,见 README “Import”):{columns}。没有导入任何内容。",
    },
    "import.unknown_column": {
        "en": 'Unknown column "{column}". Known columns: {columns}.',
        "zh": "未知的列 “{column}”。可用的列:{columns}。",
    },
    "import.duplicate_column": {
        "en": 'The column "{column}" is there twice.',
        "zh": "列 “{column}” 重复了。",
    },
    "import.no_title_column": {
        "en": "The file has no title column (title / 标题).",
        "zh": "文件缺少标题列(title / 标题)。",
    },
    "import.no_rows": {"en": "The file has no task rows.", "zh": "文件里没有任务行。"},
    "import.bad_wbs": {
        "en": '"{value}" is not a WBS code like 1.2.3.',
        "zh": "“{value}” 不是 WBS 编码,应形如 1.2.3。",
    },
    "import.bad_reference": {
        "en": '"{value}" is not a task like #3, #3+2d or a WBS code like 1.2.',
        "zh": "“{value}” 不是任务引用,应形如 #3、#3+2d 或 WBS 编码 1.2。",
    },
    "import.one_parent": {"en": 'One parent only, not "{value}".', "zh": "只能有一个父任务,而不是 “{value}”。"},
    "import.unknown_person": {
        "en": 'Nobody called "{value}" is known here; write their @id as the export does.',
        "zh": "不认识 “{value}”;请写成导出文件里的 @id。",
    },
    "import.duplicate_row": {
        "en": "{value} is already used by row {other}.",
        "zh": "{value} 已被第 {other} 行使用。",
    },
    "import.same_task": {
        "en": "This row and row {other} both update {ref}.",
        "zh": "本行与第 {other} 行都在更新 {ref}。",
    },
    "import.no_reference": {
        "en": "{ref} is not in the file or the project.",
        "zh": "{ref} 既不在文件中,也不在项目中。",
    },
    "import.milestone_change": {
        "en": "{ref} exists: a task cannot become a milestone (or stop being one) by import.",
        "zh": "{ref} 已存在:导入不能把任务改成里程碑(或反之)。",
    },
    "import.create": {"en": "row {row}: create {ref} {title}", "zh": "第 {row} 行:新建 {ref} {title}"},
    "import.update": {
        "en": "row {row}: update {ref} {title} ({fields})",
        "zh": "第 {row} 行:更新 {ref} {title}({fields})",
    },
    "import.unchanged": {"en": "row {row}: {ref} {title} unchanged", "zh": "第 {row} 行:{ref} {title} 无变化"},
    "import.dry_run": {
        "en": "Dry run: would create {create}, update {update}, leave {unchanged} unchanged. Nothing was changed.",
        "zh": "试运行:将新建 {create} 个、更新 {update} 个、{unchanged} 个不变。未做任何更改。",
    },
    "import.applied": {
        "en": "Imported: created {create}, updated {update}, {unchanged} unchanged.",
        "zh": "已导入:新建 {create} 个,更新 {update} 个,{unchanged} 个不变。",
    },
    "task.already": {
        "en": "{ref} {title} is already {status}; nothing changed.",
        "zh": "{ref} {title} 已经是“{status}”状态,未做改动。",
    },
    "task.list_title": {"en": "Tasks ({filter}): {count}", "zh": "任务({filter}):{count} 项"},
    "task.list_empty": {"en": "No tasks here.", "zh": "没有任务。"},
    "task.tree_title": {"en": "Work breakdown — {project}", "zh": "工作分解结构 — {project}"},
    "task.raci_title": {"en": "RACI matrix — {project}", "zh": "RACI 责任矩阵 — {project}"},
    "task.raci_missing_a": {"en": "No Accountable yet: {refs}", "zh": "尚未指定批准人 (A):{refs}"},
    # --- risks ---
    "risk.created": {"en": "{user} added risk {ref}.", "zh": "{user} 登记了风险 {ref}。"},
    "risk.updated": {"en": "{user} updated risk {ref}.", "zh": "{user} 更新了风险 {ref}。"},
    "risk.closed": {"en": "{user} closed risk {ref} {title}.", "zh": "{user} 关闭了风险 {ref} {title}。"},
    "risk.list_title": {"en": "Risks ({filter}): {count}", "zh": "风险({filter}):{count} 项"},
    "risk.list_empty": {"en": "No risks here.", "zh": "没有风险。"},
    # --- projects ---
    "project.created": {
        "en": '{user} bound this channel to the project "{name}".',
        "zh": "{user} 已将本群绑定到项目 “{name}”。",
    },
    "project.updated": {"en": "{user} updated the project settings.", "zh": "{user} 更新了项目设置。"},
    "project.charter_title": {"en": "Project charter — {name}", "zh": "项目章程 — {name}"},
    "project.next_steps_title": {"en": "Next steps", "zh": "下一步"},
    "project.next_steps": {
        "en": '/task add "First task" @someone due:fri — add a task\n/risk add "A risk" p:3 i:4 — register a risk\n'
        "/standup — check in for today\n/help — all commands",
        "zh": "/任务 新建 “第一个任务” 负责:@某人 截止:周五 — 新建任务\n/风险 新建 “某个风险” 概率:3 影响:4 — 登记风险\n"
        "/站会 — 今日站会签到\n/帮助 — 全部命令",
    },
    "project.admin_added": {"en": "{user} is now a project admin.", "zh": "{user} 已成为项目管理员。"},
    "project.admin_removed": {"en": "{user} is no longer a project admin.", "zh": "{user} 不再是项目管理员。"},
    "project.members_title": {"en": "Members: {count}", "zh": "成员:{count} 人"},
    # --- reports ---
    "report.title": {"en": "Status — {name} — {date}", "zh": "项目状态 — {name} — {date}"},
    "report.progress": {
        "en": "Progress: {done}/{total} done ({pct}%) · to do {todo} · in progress {doing} · blocked {blocked}",
        "zh": "进度:{done}/{total} 已完成({pct}%)· 待办 {todo} · 进行中 {doing} · 阻塞 {blocked}",
    },
    "report.overdue": {"en": "Overdue ({count})", "zh": "已逾期({count})"},
    "report.due_week": {"en": "Due this week ({count})", "zh": "本周到期({count})"},
    "report.top_risks": {"en": "Top risks", "zh": "主要风险"},
    "report.blockers": {"en": "Open blockers ({count})", "zh": "未解决的阻碍({count})"},
    # --- standups ---
    "standup.q_yesterday": {"en": "What did you do yesterday?", "zh": "昨天做了什么?"},
    "standup.q_today": {"en": "What will you do today?", "zh": "今天计划做什么?"},
    "standup.q_blockers": {"en": "Anything blocking you?", "zh": "有什么阻碍?"},
    "standup.form_title": {"en": "Standup check-in — {date}", "zh": "站会签到 — {date}"},
    "standup.recorded": {"en": "{user} checked in.", "zh": "{user} 已签到。"},
    "standup.updated": {"en": "{user} updated today's check-in.", "zh": "{user} 更新了今天的签到。"},
    "standup.entry_title": {"en": "Standup — {user}", "zh": "站会 — {user}"},
    "standup.away_set": {
        "en": "You are away from {start} to {end}; standups will skip you.",
        "zh": "已登记你在 {start} 至 {end} 不在,期间站会将跳过你。",
    },
    "standup.away_cleared": {"en": "Your away dates are cleared.", "zh": "已清除你的请假日期。"},
    "standup.away_none": {"en": "You have no away dates.", "zh": "你没有登记请假日期。"},
    "standup.away_list": {"en": "You are away:", "zh": "你的请假日期:"},
    "standup.report_title": {"en": "Standup — {name} — {date}", "zh": "站会汇总 — {name} — {date}"},
    "standup.report_counts": {
        "en": "{answered} checked in, {missing} not yet.",
        "zh": "{answered} 人已签到,{missing} 人未签到。",
    },
    "standup.report_blockers": {"en": "⛔ {count} blocker(s): {users}", "zh": "⛔ {count} 个阻碍:{users}"},
    "standup.report_missing": {"en": "Not checked in: {users}", "zh": "未签到:{users}"},
    "standup.config_title": {"en": "Standup settings", "zh": "站会设置"},
    "standup.muted": {"en": "Standup reminders are off for you in this project.", "zh": "已关闭你在本项目的站会提醒。"},
    "standup.unmuted": {"en": "Standup reminders are on for you again.", "zh": "已恢复你的站会提醒。"},
    "field.mode": {"en": "Prompt in", "zh": "提醒方式"},
    "field.participants": {"en": "Participants", "zh": "参与人"},
    "standup.participants_default": {
        "en": "the people doing the work: Responsible for an open task, or checked in within two weeks",
        "zh": "做事的人:有未完成任务的负责人 (R),或两周内签到过的人",
    },
    "mode.channel": {"en": "the channel", "zh": "群内"},
    "mode.dm": {"en": "direct messages", "zh": "私信"},
    "mode.both": {"en": "the channel and direct messages", "zh": "群内和私信"},
    "field.alerts": {"en": "Alerts", "zh": "提醒"},
    "project.alerts": {
        "en": "overdue digest {digest} · due-soon {hours} h before · escalate after {days} d · "
        "weekly report {day} {time} · on holidays: {holidays}",
        "zh": "逾期提醒 {digest} · 提前 {hours} 小时提醒 · 逾期 {days} 天升级 · 周报 {day} {time} · 节假日提醒:{holidays}",
    },
    "standup.config_saved": {"en": "{user} updated the standup settings.", "zh": "{user} 更新了站会设置。"},
    # --- retros ---
    "retro.title": {"en": "Retro #{number} — {name}", "zh": "复盘 #{number} — {name}"},
    "retro.kind_well": {"en": "Went well", "zh": "做得好的"},
    "retro.kind_bad": {"en": "Did not go well", "zh": "不足之处"},
    "retro.kind_improve": {"en": "To improve", "zh": "改进措施"},
    "retro.footer_open": {
        "en": 'Started {date} by {user} · add with /retro add well|bad|improve "…"',
        "zh": "{user} 于 {date} 发起 · 用 /复盘 添加 好|不好|改进 “……” 补充",
    },
    "retro.footer_closed": {
        "en": "Started {date} by {user} · closed and archived",
        "zh": "{user} 于 {date} 发起 · 已关闭归档",
    },
    "retro.started": {
        "en": "{user} started a retro. Add what went well, what did not, and what to improve.",
        "zh": "{user} 发起了复盘。请补充做得好的、不足之处和改进措施。",
    },
    "retro.added": {"en": 'Added to "{kind}".', "zh": "已添加到“{kind}”。"},
    "retro.closed": {"en": "{user} closed the retro; it is archived.", "zh": "{user} 关闭了复盘,已归档。"},
    "retro.list_title": {"en": "Retros", "zh": "复盘记录"},
    "retro.list_empty": {"en": "No retros yet.", "zh": "还没有复盘。"},
    "retro.list_line": {
        "en": "#{number} {name} · {date} · {count} items · {status}",
        "zh": "#{number} {name} · {date} · {count} 条 · {status}",
    },
    "retro.status_open": {"en": "open", "zh": "进行中"},
    "retro.status_closed": {"en": "archived", "zh": "已归档"},
    # --- help ---
    "help.title": {"en": "pmbot commands", "zh": "pmbot 命令"},
    "help.intro": {
        "en": "Run a project from this channel. Every command also works in Chinese (/任务 新建 …).",
        "zh": "在群里管理项目。所有命令也可用英文(/task add …)。",
    },
    "help.footer": {
        "en": "/<command> help shows the details, e.g. /task help.",
        "zh": "/<命令> 帮助 查看详情,例如 /任务 帮助。",
    },
    "help.title_project": {"en": "/project — the project", "zh": "/项目 — 项目"},
    "help.title_task": {"en": "/task — tasks", "zh": "/任务 — 任务"},
    "help.title_risk": {"en": "/risk — risks", "zh": "/风险 — 风险"},
    "help.title_standup": {"en": "/standup — daily standup", "zh": "/站会 — 每日站会"},
    "help.title_retro": {"en": "/retro — retrospectives", "zh": "/复盘 — 复盘"},
    "help.about_project": {
        "en": "bind the channel, charter, settings, status report",
        "zh": "绑定群、项目章程、设置、状态报告",
    },
    "help.about_task": {
        "en": "tasks with sub-tasks (WBS), RACI roles and due dates",
        "zh": "任务、子任务 (WBS)、RACI 角色与截止日期",
    },
    "help.title_milestone": {"en": "/milestone — milestones", "zh": "/里程碑 — 里程碑"},
    "help.about_milestone": {
        "en": "dates that matter, forecast from the plan",
        "zh": "关键节点,按计划预测日期",
    },
    "help.about_risk": {
        "en": "the risk register: probability × impact, owner, mitigation",
        "zh": "风险登记:概率 × 影响、负责人、应对措施",
    },
    "help.about_standup": {"en": "daily check-ins: yesterday, today, blockers", "zh": "每日签到:昨天、今天、阻碍"},
    "help.about_retro": {"en": "what went well, what did not, what to improve", "zh": "做得好的、不足之处、改进措施"},
    "usage.prefix": {"en": "Usage: ", "zh": "用法:"},
    # --- scheduled messages ---
    "sched.late_note": {"en": "(late: I was offline when this was due)", "zh": "(延迟发送:到点时机器人不在线)"},
    "sched.prompt_title": {"en": "Standup time — {name} — {date}", "zh": "站会时间 — {name} — {date}"},
    "sched.prompt_footer": {
        "en": "Check in with the button or /standup y:… t:… b:… · summary at {time}",
        "zh": "点按钮或用 /站会 昨天:… 今天:… 阻碍:… 签到 · {time} 汇总",
    },
    "sched.reminder_title": {"en": "Reminder: standup for {name}", "zh": "提醒:{name} 的站会"},
    "sched.reminder_text": {
        "en": "You have not checked in yet; the summary goes out at {time}.",
        "zh": "你还没有签到,{time} 将发布汇总。",
    },
    "sched.summary_lead": {"en": "Blockers need attention: {lead}", "zh": "有阻碍需要处理:{lead}"},
    "sched.digest_title": {"en": "Overdue tasks — {name}: {count}", "zh": "逾期任务 — {name}:{count} 项"},
    "sched.overdue_dm_title": {
        "en": "You have {count} overdue task(s) in {name}",
        "zh": "你在 {name} 有 {count} 个逾期任务",
    },
    "sched.escalation_title": {
        "en": "Escalation: {count} task(s) overdue in {name}",
        "zh": "升级提醒:{name} 有 {count} 个任务逾期",
    },
    "sched.escalation_text": {
        "en": "You are Accountable for these overdue tasks.",
        "zh": "你是这些逾期任务的批准人 (A)。",
    },
    "sched.escalation_days": {"en": "{days} working day(s) overdue", "zh": "已逾期 {days} 个工作日"},
    "sched.on_behalf": {"en": "On behalf of {user}, away until {date}:", "zh": "代 {user} 处理(请假至 {date}):"},
    "sched.away_line": {"en": "Away: {users}", "zh": "请假中:{users}"},
    "sched.away_item": {"en": "{user} until {date}", "zh": "{user}(至 {date})"},
    "sched.due_soon_title": {"en": "Due soon: {ref} {title} — {when}", "zh": "即将到期:{ref} {title} — {when}"},
    "sched.review_title": {"en": "Time to review risk {ref} {title}", "zh": "该复查风险 {ref} {title} 了"},
    "sched.unmitigated_title": {
        "en": "High risks without a mitigation: {count}",
        "zh": "缺少缓解措施的高风险:{count} 项",
    },
    "sched.weekly_title": {"en": "Weekly status — {name} — {date}", "zh": "周报 — {name} — {date}"},
    "sched.done_week": {"en": "Completed since the last report ({count})", "zh": "上次周报以来完成({count})"},
    "sched.due_next_week": {"en": "Due next week ({count})", "zh": "下周到期({count})"},
    "sched.changes": {"en": "Notable changes", "zh": "重要变更"},
    "sched.plan": {"en": "Plan", "zh": "计划"},
    "sched.critical_next_week": {"en": "Critical tasks due next week ({count})", "zh": "下周到期的关键任务({count})"},
    "change.task_create": {"en": "{user} added {ref} {title}", "zh": "{user} 新建 {ref} {title}"},
    "change.task_done": {"en": "{user} completed {ref} {title}", "zh": "{user} 完成 {ref} {title}"},
    "change.task_cancel": {"en": "{user} cancelled {ref} {title}", "zh": "{user} 取消 {ref} {title}"},
    "change.task_delete": {"en": "{user} deleted {ref} {title}", "zh": "{user} 删除 {ref} {title}"},
    "change.task_due": {
        "en": "{user} moved the due of {ref} {title}: {before} → {after}",
        "zh": "{user} 调整了 {ref} {title} 的截止日期:{before} → {after}",
    },
    "change.risk_create": {"en": "{user} registered risk {ref} {title}", "zh": "{user} 登记风险 {ref} {title}"},
    "change.risk_close": {"en": "{user} closed risk {ref} {title}", "zh": "{user} 关闭风险 {ref} {title}"},
    "change.retro_close": {"en": "{user} closed a retro", "zh": "{user} 关闭了一次复盘"},
    "button.check_in": {"en": "Check in", "zh": "签到"},
    # --- onboarding (the bot joins a channel) ---
    "onboarding.title": {"en": "Hello, I am pmbot", "zh": "你好，我是 pmbot"},
    "onboarding.text": {
        "en": "I run this group's project from the chat: tasks with owners and due dates, a risk "
        "register, daily standups and retrospectives. Bind this group to a project to start.",
        "zh": "我在群里帮大家推进项目：任务（负责人、截止日期）、风险登记、每日站会和复盘。先把本群绑定到一个项目吧。",
    },
    "onboarding.project_name": {"en": "Project name", "zh": "项目名称"},
    "onboarding.bind": {"en": "Bind this group", "zh": "绑定本群"},
    "onboarding.footer": {
        "en": 'Or mention me with /project init "Name". /help lists every command.',
        "zh": "也可以 @我 并发送 /项目 初始化 “项目名”。/帮助 查看全部命令。",
    },
    "onboarding.bound": {
        "en": 'This group is bound to the project "{name}". Mention me with /help to see the commands.',
        "zh": "本群已绑定项目 “{name}”。@我 并发送 /帮助 查看全部命令。",
    },
    # --- Feishu messenger ---
    "feishu.menu_no_project": {
        "en": "You are not in a project yet. Add me to your project's group and bind it with /project init.",
        "zh": "你还没有加入任何项目。把我拉进项目群，再用 /项目 初始化 绑定。",
    },
    "feishu.toast_done": {"en": "Done", "zh": "已完成"},
    "feishu.hello": {
        "en": "Hi, I am pmbot. Send me a command here, or mention me in your project's group.",
        "zh": "你好，我是 pmbot。可以在这里直接发命令，也可以在项目群里 @我。",
    },
    "feishu.toast_see_reply": {"en": "Answered below the card", "zh": "已在卡片下方回复"},
    "feishu.too_large": {
        "en": "This answer is too long for a Feishu card; narrow it down (e.g. /task list mine).",
        "zh": "内容太多，飞书卡片放不下；请缩小范围（例如 /任务 列表 我的）。",
    },
    # --- home (Slack App Home) ---
    "home.title": {"en": "Your projects", "zh": "我的项目"},
    "home.intro": {
        "en": "Hi {user} — your tasks, approvals and today's standups in {count} project(s).",
        "zh": "{user} 你好 — 这里是你在 {count} 个项目中的任务、待批准事项和今日站会。",
    },
    "home.no_projects": {
        "en": "You are not in a project yet. Invite me to your project's channel and bind it with "
        '/project init "Name"; your tasks then show up here.',
        "zh": "你还没有加入任何项目。把我邀请进项目频道，用 /项目 初始化 “项目名” 绑定后，你的任务会显示在这里。",
    },
    "home.updated": {"en": "Updated {time}", "zh": "更新于 {time}"},
    "home.my_tasks": {"en": "My open tasks: {count}", "zh": "我的未完成任务：{count} 项"},
    "home.my_tasks_empty": {"en": "Nothing assigned to you.", "zh": "没有分配给你的任务。"},
    "home.accountable": {
        "en": "Waiting on others, I am Accountable: {count}",
        "zh": "我负责批准 (A) 的任务：{count} 项",
    },
    "home.accountable_empty": {"en": "Nothing where you are Accountable.", "zh": "没有需要你批准的任务。"},
    "home.standup_field": {"en": "Standup today", "zh": "今日站会"},
    "home.standup_done": {"en": "✔ checked in at {time}", "zh": "✔ 已于 {time} 签到"},
    "home.standup_pending": {"en": "○ not yet (standup at {time})", "zh": "○ 尚未签到（{time} 站会）"},
    "home.standup_away": {"en": "away today", "zh": "今天请假"},
    "home.standup_none": {"en": "no standup for you today", "zh": "今天没有你的站会"},
    "home.tasks_field": {"en": "My tasks", "zh": "我的任务"},
    "home.tasks_count": {"en": "{open} open · {overdue} overdue", "zh": "{open} 项未完成 · {overdue} 项逾期"},
    "button.new_task": {"en": "New task", "zh": "新建任务"},
    "button.new_risk": {"en": "New risk", "zh": "登记风险"},
    "button.my_tasks": {"en": "My tasks", "zh": "我的任务"},
    # --- Slack messenger ---
    "slack.app_name": {"en": "pmbot", "zh": "pmbot"},
    "slack.cancel": {"en": "Cancel", "zh": "取消"},
    "slack.close": {"en": "Close", "zh": "关闭"},
    "slack.modal_failed": {
        "en": "I could not open the form in time; open it with the button below.",
        "zh": "表单没能及时打开，请点下面的按钮打开。",
    },
    "slack.mention_hint": {
        "en": "Mention me with a command, e.g. @pmbot /task list mine. /help lists them all.",
        "zh": "@我 并附上命令，例如 @pmbot /任务 列表 我的。/帮助 查看全部命令。",
    },
    # --- inbound requests (bot/inbox.py) ---
    "inbound.not_stored": {
        "en": "I could not take that command just now (storage unavailable); nothing was done. Please try again in a moment.",
        "zh": "暂时无法接收这条命令（存储不可用），没有做任何更改。请稍后再试。",
    },
    # --- console messenger ---
    "console.ephemeral": {"en": "(only you can see this)", "zh": "(仅你可见)"},
    "console.welcome": {
        "en": "pmbot console — #{channel} as @{user}. /help for commands, :help for the console.",
        "zh": "pmbot 控制台 — #{channel},身份 @{user}。/帮助 查看命令,:help 查看控制台用法。",
    },
    "console.not_a_command": {"en": "(not a command — type /help)", "zh": "(不是命令 — 输入 /帮助)"},
    "console.unknown_meta": {
        "en": "console: unknown meta-command {verb}; :help lists them",
        "zh": "控制台:未知的元命令 {verb};:help 查看列表",
    },
    "console.usage": {"en": "console: usage {usage}", "zh": "控制台:用法 {usage}"},
    "console.no_buttons": {"en": "console: the last message has no buttons", "zh": "控制台:上一条消息没有按钮"},
    "console.no_forms": {"en": "console: the last message has no form", "zh": "控制台:上一条消息没有表单"},
    "console.clock": {"en": "(clock: {now})", "zh": "(时钟:{now})"},
    "console.bad_field": {
        "en": "console: {pair} is not field=value; fields: {fields}",
        "zh": "控制台:{pair} 不是 字段=值;可用字段:{fields}",
    },
    "console.help": {
        "en": ":as USER — speak as another user\n:channel NAME — switch channel\n"
        ":now ISO-8601 — set the clock (e.g. 2026-12-01T09:00+08:00)\n"
        ":advance DURATION — move the clock (30m, 2h, 1d) and run the jobs that fell due\n"
        ":click N — press button N of the last reply\n"
        ":submit N field=value ... — submit form N of the last reply (quote values with spaces)\n"
        ":quit — leave",
        "zh": ":as 用户 — 以另一位用户身份发言\n:channel 名称 — 切换群\n"
        ":now ISO-8601 — 设置时钟(例如 2026-12-01T09:00+08:00)\n"
        ":advance 时长 — 拨快时钟(30m、2h、1d)并执行到期的定时任务\n"
        ":click N — 点击上一条回复的第 N 个按钮\n"
        ":submit N 字段=值 ... — 提交上一条回复的第 N 个表单(含空格的值请加引号)\n"
        ":quit — 退出",
    },
}

USAGE: dict[str, dict[str, str]] = {
    "project.init": {
        "en": '/project init "Name" [tz:Asia/Shanghai] [lang:en|zh] [goal:"…"] [owner:@user] [start:DATE] [end:DATE] [holidays:CN]',
        "zh": "/项目 初始化 “项目名” [时区:Asia/Shanghai] [语言:中文|英文] [目标:“……”] [负责人:@某人] [开始:日期] [结束:日期] [节假日:CN]",
    },
    "project.status": {"en": "/project status — the status report now", "zh": "/项目 状态 — 立即查看项目状态"},
    "project.show": {"en": "/project show — the charter", "zh": "/项目 查看 — 项目章程"},
    "project.set": {
        "en": '/project set [name:"…"] [goal:"…"] [owner:@user] [tz:…] [lang:…] [start:DATE] [end:DATE] [holidays:CN] [digest:09:00] [due_soon:24h] [escalate:2] [report_day:fri] [report_time:16:00] [holiday_alerts:on|off]',
        "zh": "/项目 设置 [名称:“……”] [目标:“……”] [负责人:@某人] [时区:…] [语言:…] [开始:日期] [结束:日期] [节假日:CN] [逾期提醒:09:00] [到期提醒:24小时] [升级:2] [周报日:周五] [周报时间:16:00] [节假日提醒:开|关]",
    },
    "project.admin": {"en": "/project admin add|remove @user", "zh": "/项目 管理员 添加|移除 @某人"},
    "project.members": {"en": "/project members", "zh": "/项目 成员"},
    "project.baseline": {
        "en": "/project baseline [show|replace] — save the plan as the baseline (a second one asks first)",
        "zh": "/项目 基线 [查看|替换] — 把当前计划保存为基线(已有基线时先确认)",
    },
    "project.schedule": {
        "en": "/project schedule — forecast vs baseline and end date, critical path, milestones, behind plan, float",
        "zh": "/项目 进度 — 预测与基线、结束日期对比,关键路径,里程碑,落后任务,浮动时间",
    },
    "project.help": {"en": "/project help", "zh": "/项目 帮助"},
    "task.add": {
        "en": '/task add "Title" [@responsible] [due:DATE] [start:DATE] [dur:5d|2w] [after:#3,#4+2d] [progress:60%] [A:@user] [C:@a,@b] [I:@c] [parent:#3] [prio:low|medium|high|urgent] [desc:"…"]',
        "zh": "/任务 新建 “标题” [负责:@某人] [截止:日期] [开始:日期] [工期:5天|2周] [前置:#3,#4+2天] [进度:60%] [批准:@某人] [咨询:@甲,@乙] [知会:@丙] [父任务:#3] [优先级:低|中|高|紧急] [描述:“……”]",
    },
    "task.list": {
        "en": "/task list [open|mine|overdue|blocked|done|all|@user]",
        "zh": "/任务 列表 [未完成|我的|逾期|阻塞|已完成|全部|@某人]",
    },
    "task.show": {"en": "/task show #12", "zh": "/任务 查看 #12"},
    "task.done": {"en": "/task done #12 [#13 …]", "zh": "/任务 完成 #12 [#13 …]"},
    "task.start": {"en": "/task start #12", "zh": "/任务 开始 #12"},
    "task.block": {"en": "/task block #12", "zh": "/任务 阻塞 #12"},
    "task.reopen": {"en": "/task reopen #12", "zh": "/任务 重开 #12"},
    "task.cancel": {"en": "/task cancel #12", "zh": "/任务 取消 #12"},
    "task.delete": {"en": "/task delete #12", "zh": "/任务 删除 #12"},
    "task.update": {
        "en": '/task update #12 [title:"…"] [due:DATE] [start:DATE] [dur:5d] [after:#3+2d|none] [progress:60%] [status:todo|doing|blocked|done|cancelled] [owner:@user] [A:@user] [C:@a,@b] [I:@c] [parent:#3] [prio:…]',
        "zh": "/任务 更新 #12 [标题:“……”] [截止:日期] [开始:日期] [工期:5天] [前置:#3+2天|无] [进度:60%] [状态:待办|进行中|阻塞|完成|取消] [负责:@某人] [批准:@某人] [咨询:@甲,@乙] [知会:@丙] [父任务:#3] [优先级:…]",
    },
    "task.form": {
        "en": '/task form [title:"…"] — the create form · /task form #12 — the edit form',
        "zh": "/任务 表单 [标题:“……”] — 新建表单 · /任务 表单 #12 — 编辑表单",
    },
    "task.tree": {"en": "/task tree — the work breakdown", "zh": "/任务 树 — 工作分解结构"},
    "task.raci": {"en": "/task raci — the RACI matrix", "zh": "/任务 矩阵 — RACI 责任矩阵"},
    "task.help": {"en": "/task help", "zh": "/任务 帮助"},
    "milestone.add": {
        "en": '/milestone add "Go-live" [date:DATE] [after:#7] [A:@user] [@responsible] [parent:#3] [desc:"…"]',
        "zh": "/里程碑 新建 “上线” [日期:日期] [前置:#7] [批准:@某人] [负责:@某人] [父任务:#3] [描述:“……”]",
    },
    "milestone.list": {
        "en": "/milestone list — milestones with forecast and baseline",
        "zh": "/里程碑 列表 — 里程碑及其预测和基线",
    },
    "milestone.help": {"en": "/milestone help", "zh": "/里程碑 帮助"},
    "risk.add": {
        "en": '/risk add "Title" [cat:technical|resource|schedule|compliance] [p:1-5] [i:1-5] [owner:@user] [strategy:avoid|mitigate|transfer|accept] [trigger:"…"] [mitigation:"…"] [contingency:"…"] [review:DATE]',
        "zh": "/风险 新建 “标题” [类别:技术|资源|进度|合规] [概率:1-5] [影响:1-5] [负责人:@某人] [策略:规避|减轻|转移|接受] [触发:“……”] [缓解:“……”] [应急:“……”] [复查:日期]",
    },
    "risk.list": {"en": "/risk list [open|top|closed|all]", "zh": "/风险 列表 [打开|最高|关闭|全部]"},
    "risk.show": {"en": "/risk show R2", "zh": "/风险 查看 R2"},
    "risk.update": {
        "en": '/risk update R2 [p:1-5] [i:1-5] [status:open|mitigating|occurred|closed] [owner:@user] [mitigation:"…"] …',
        "zh": "/风险 更新 R2 [概率:1-5] [影响:1-5] [状态:打开|应对中|已发生|关闭] [负责人:@某人] [缓解:“……”] …",
    },
    "risk.close": {"en": '/risk close R2 [note:"…"]', "zh": "/风险 关闭 R2 [备注:“……”]"},
    "risk.form": {
        "en": "/risk form — the create form · /risk form R2 — the edit form",
        "zh": "/风险 表单 — 登记表单 · /风险 表单 R2 — 编辑表单",
    },
    "risk.help": {"en": "/risk help", "zh": "/风险 帮助"},
    "standup.checkin": {
        "en": '/standup — open the check-in form · /standup y:"…" t:"…" b:"…"',
        "zh": "/站会 — 打开签到表单 · /站会 昨天:“……” 今天:“……” 阻碍:“……”",
    },
    "standup.config": {
        "en": '/standup config [time:09:30] [days:mon-fri] [remind:30m] [summary:10:30] [mode:channel|dm|both] [participants:@a,@b|all] [questions:"Q1|Q2|Q3"] [enabled:on|off]',
        "zh": "/站会 配置 [时间:09:30] [日期:周一至周五] [提醒:30分钟] [汇总:10:30] [方式:群|私信|都] [参与人:@甲,@乙|全部] [问题:“问1|问2|问3”] [启用:开|关]",
    },
    "standup.mute": {"en": "/standup mute — no standup reminders for me", "zh": "/站会 静音 — 不再提醒我签到"},
    "standup.unmute": {"en": "/standup unmute", "zh": "/站会 取消静音"},
    "standup.away": {"en": "/standup away 2026-12-01..2026-12-05 | clear", "zh": "/站会 请假 12月1日..12月5日 | 清除"},
    "standup.report": {"en": "/standup report [DATE]", "zh": "/站会 汇总 [日期]"},
    "standup.help": {"en": "/standup help", "zh": "/站会 帮助"},
    "retro.start": {"en": "/retro start [title]", "zh": "/复盘 开始 [标题]"},
    "retro.add": {"en": '/retro add well|bad|improve "…"', "zh": "/复盘 添加 好|不好|改进 “……”"},
    "retro.show": {"en": "/retro show [#N]", "zh": "/复盘 查看 [#N]"},
    "retro.close": {"en": "/retro close — archive the open retro", "zh": "/复盘 关闭 — 关闭并归档"},
    "retro.list": {"en": "/retro list — archived retros", "zh": "/复盘 列表 — 历史复盘"},
    "retro.help": {"en": "/retro help", "zh": "/复盘 帮助"},
    "help.help": {
        "en": "/help [task|milestone|risk|standup|retro|project]",
        "zh": "/帮助 [任务|里程碑|风险|站会|复盘|项目]",
    },
}


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def t(key: str, locale: str | None, /, **values: Any) -> str:
    """The message `key` in `locale` (falling back to English), filled with `values`."""
    entry = CATALOGUE.get(key)
    if entry is None:
        raise KeyError(f"message {key!r} is not in the catalogue")
    text = entry.get(locale or "en") or entry["en"]
    # str.format_map fills the same `{name}` fields as string.Formatter, in C (the scheduler
    # renders tens of thousands of lines a tick); `_Missing` keeps unknown fields as written.
    return text.format_map(_Missing(values))


def usage(key: str, locale: str | None, prefix: bool = True) -> str:
    """The usage line of `area.action`; for a bare `area`, every line of that area."""
    if "." not in key:
        lines = [usage(k, locale, prefix=False) for k in USAGE if k.startswith(key + ".")]
        line = "\n".join(lines) or usage("help.help", locale, prefix=False)
    else:
        entry = USAGE.get(key) or USAGE["help.help"]
        line = entry.get(locale or "en") or entry["en"]
    return (t("usage.prefix", locale) + line) if prefix else line
