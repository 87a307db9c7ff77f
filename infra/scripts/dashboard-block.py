#!/usr/bin/env python3
"""Prints the template's CloudWatch dashboard and the alarms on the portal's own metrics
(the EMF lines of shared/metrics/src/lib.rs), in the template's style.

Why a generator: the dashboard body is one JSON string with a widget line per function and
metric; written by hand it is where a function gets forgotten. Re-run it when a function or
a metric is added, and paste the result over the block between the markers:

  python3 infra/scripts/dashboard-block.py > /tmp/block.yaml
"""
import json

NS = "PortaleConvenzioneMobile8"  # shared::metrics::NAMESPACE
FUNCTIONS = [
    "RegisterNumber", "RegisterOtp", "RegisterProfile", "RegisterEmail", "ConfirmEmail", "ConfirmCease",
    "RegisterPassword", "Login", "LoginOtp", "Account", "Logout", "RecoverStart",
    "RecoverOtp", "RecoverReset", "SendMessages",
    # The private area (issue 15).
    "AccountPassword", "AccountEmail", "AccountEmailConfirm", "AccountSessions", "AccountHistory",
    "AccountPrivacy", "AccountDelete", "AccountDeleteOtp", "AccountConsents", "AccountLines",
]
FUNNEL = [
    ("RegistrationStarted", "1 Numero (SMS inviato)"),
    ("RegistrationCodeVerified", "2 Codice verificato"),
    ("RegistrationProfile", "3 Dati inseriti"),
    ("RegistrationEmailSent", "4 Email di conferma inviata"),
    ("RegistrationEmailConfirmed", "4 Email confermata"),
    ("RegistrationCompleted", "6 Registrazione completata"),
]


def m(name, flow, label=None, **extra):
    # The EMF lines' dimensions, both (shared::metrics: Stage, Flow): a metric of this
    # stage only, never the sum of every stage in the account and region.
    opts = {"label": label or name}
    opts.update(extra)
    return [NS, name, "Stage", "${Stage}", "Flow", flow, opts]


def widget(x, y, w, h, title, metrics, **props):
    p = {"title": title, "region": "${AWS::Region}", "metrics": metrics}
    p.update(props)
    return {"type": "metric", "x": x, "y": y, "width": w, "height": h, "properties": p}


def lam(metric, fn, stat):
    return ["AWS/Lambda", metric, "FunctionName", "${%sFunction}" % fn, {"stat": stat, "label": fn}]


widgets = [
    {"type": "text", "x": 0, "y": 0, "width": 24, "height": 2, "properties": {"markdown":
        "## Portale Convenzione Mobile 8 (${Stage})\nFunnel e salute dai log delle funzioni (Embedded "
        "Metric Format, namespace `" + NS + "`). Allarmi sul topic `portale-${Stage}-alarms`."}},
    widget(0, 2, 12, 7, "Funnel della registrazione (totale nel periodo)",
           [m(n, "registration", l) for n, l in FUNNEL]
           + [m("RegistrationProsegui", "registration", "3 PROSEGUI su registrazione esistente")],
           view="bar", stat="Sum", period=3600, setPeriodToTimeRange=True),
    widget(12, 2, 12, 7, "Accesso e recupero",
           [m("LoginPasswordOk", "login", "Password corretta"),
            m("LoginPasswordWrong", "login", "Password errata"),
            m("LoginLocked", "login", "Bloccato"),
            m("LoginCodeOk", "login", "Codice corretto (accesso)"),
            m("RecoveryUsername", "recovery", "Recupero username"),
            m("RecoveryPassword", "recovery", "Recupero password"),
            m("RecoveryBoth", "recovery", "Recupero username e password")],
           view="timeSeries", stat="Sum", period=300),
    widget(0, 9, 12, 6, "SMS inviati per ora rispetto al budget (SMS_GLOBAL_HOURLY_BUDGET)",
           [m("SmsSent", "messages", "SMS inviati"), m("SmsFailed", "messages", "SMS non inviati"),
            ["Portale/${Stage}", "SmsGlobalBudgetExhausted", {"label": "Invii rifiutati: budget esaurito"}]],
           view="timeSeries", stat="Sum", period=3600,
           annotations={"horizontal": [{"label": "Budget orario", "value": "@SmsGlobalHourlyBudget@"}]}),
    widget(12, 9, 12, 6, "Spesa SMS del mese (USD) rispetto al limite",
           [["AWS/SNS", "SMSMonthToDateSpentUSD", {"label": "Spesa del mese"}]],
           view="timeSeries", stat="Maximum", period=3600,
           annotations={"horizontal": [{"label": "Limite mensile", "value": "@SmsMonthlySpendLimit@"}]}),
    widget(0, 15, 12, 6, "Errori",
           [lam("Errors", f, "Sum") for f in FUNCTIONS]
           + [m("SmsFailed", "messages", "SMS non inviati"), m("EmailFailed", "messages", "Email non inviate"),
              ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "${OutboxDeadLetterQueue.QueueName}",
               {"stat": "Maximum", "label": "Messaggi nella dead-letter queue"}]],
           view="timeSeries", stat="Sum", period=300),
    widget(12, 15, 12, 6, "Latenza p99 per funzione (ms)",
           [lam("Duration", f, "p99") for f in FUNCTIONS],
           view="timeSeries", stat="p99", period=300),
    widget(0, 21, 12, 6, "Email inviate e non inviate",
           [m("EmailSent", "messages", "Email inviate"), m("EmailFailed", "messages", "Email non inviate")],
           view="timeSeries", stat="Sum", period=300),    # The outbox sends once (issue 22): what a retry or a duplicate did not send again, and
    # what a redrive found expired.
    widget(12, 21, 12, 6, "Outbox: messaggi non ripetuti e scaduti",
           [m("OutboxDuplicateSkipped", "messages", "Già inviati, non ripetuti"),
            m("OutboxExpiredDropped", "messages", "Scaduti, non inviati")],
           view="timeSeries", stat="Sum", period=300),
]
# Annotation values are numbers in the dashboard's JSON: the parameters go in unquoted.
body = json.dumps({"widgets": widgets}, ensure_ascii=False, separators=(",", ":"))
for param in ["SmsGlobalHourlyBudget", "SmsMonthlySpendLimit"]:
    body = body.replace('"@%s@"' % param, "${%s}" % param)


def alarm(rid, comment, name, desc, metric, flow, stat, period, evals, threshold, op="GreaterThanOrEqualToThreshold"):
    return f"""  # {comment}
  {rid}:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: !Sub portale-${{Stage}}-{name}
      AlarmDescription: "{desc}"
      Namespace: {NS}
      MetricName: {metric}
      Dimensions:
        - Name: Stage
          Value: !Ref Stage
        - Name: Flow
          Value: {flow}
      Statistic: {stat}
      Period: {period}
      EvaluationPeriods: {evals}
      Threshold: {threshold}
      ComparisonOperator: {op}
      TreatMissingData: notBreaching
      AlarmActions: [!Ref AlarmTopic]
      OKActions: [!Ref AlarmTopic]
"""


print("""  # ---------------------------------------------------------------- dashboard-block.py
  # The operators' dashboard: the registration funnel, login and recovery outcomes, SMS
  # against the hourly budget and the monthly spend limit, errors, p99 latency per function.
  # The funnel metrics are EMF lines of the functions' logs (shared/metrics/src/lib.rs).
  Dashboard:
    Type: AWS::CloudWatch::Dashboard
    Properties:
      DashboardName: !Sub portale-${Stage}
      DashboardBody: !Sub '""" + body.replace("'", "''") + """'
""")
print(alarm("SmsFailedAlarm",
            "SNS refuses SMS (before the DLQ's 5 receives): users are not getting their codes.",
            "sms-failed", "SMS sends failing: >= 5 in 5 minutes",
            "SmsFailed", "messages", "Sum", 300, 1, 5))
print(alarm("EmailsFailedAlarm",
            "Emails refused by SES (identity, sending quota, suppression): confirmation links do not arrive.",
            "emails-failed", "Email sends failing: >= 5 in 5 minutes",
            "EmailFailed", "messages", "Sum", 300, 1, 5))
print(alarm("LoginLockedAlarm",
            "Many locked logins: a password-guessing campaign (consider a WAF rule) or a broken login.",
            "login-locked", "Locked login attempts: >= 50 in 15 minutes",
            "LoginLocked", "login", "Sum", 900, 1, 50))
print(f"""  # Codes sent but none typed for an hour: the registration SMS are probably not arriving.
  RegistrationStalledAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: !Sub portale-${{Stage}}-registration-stalled
      AlarmDescription: "Registration: >= 10 started and no code verified in an hour"
      Metrics:
        - Id: started
          ReturnData: false
          MetricStat:
            Metric:
              Namespace: {NS}
              MetricName: RegistrationStarted
              Dimensions:
                - Name: Stage
                  Value: !Ref Stage
                - Name: Flow
                  Value: registration
            Period: 3600
            Stat: Sum
        - Id: verified
          ReturnData: false
          MetricStat:
            Metric:
              Namespace: {NS}
              MetricName: RegistrationCodeVerified
              Dimensions:
                - Name: Stage
                  Value: !Ref Stage
                - Name: Flow
                  Value: registration
            Period: 3600
            Stat: Sum
        - Id: stalled
          Label: Registrations started with no code verified
          Expression: "IF(started >= 10 AND FILL(verified, 0) == 0, 1, 0)"
          ReturnData: true
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanOrEqualToThreshold
      TreatMissingData: notBreaching
      AlarmActions: [!Ref AlarmTopic]
      OKActions: [!Ref AlarmTopic]
  # ---------------------------------------------------------------- end dashboard-block.py""")
