#!/usr/bin/env python3
"""Prints the SAM resources of one flow function (log group, least-privilege role,
function with its REST API (Api) methods, error and throttle alarms) in the template's style.

Why a generator: the six resources differ only in names, routes, table grants and which
of the SMS / email policies apply; writing them by hand is where typos creep in. The
consistency test (tests/tests/api/template_consistency/) checks the result, and prints the
exact `table` statements when a role differs from shared/engine/src/access.rs.

  python3 infra/scripts/function-block.py login "Login: username + password" \
      --route GET:/accesso --route POST:/accesso --sms --memory 512 [--email] \
      --grant 'USERNAME#=GetItem' --grant 'LOCK#=GetItem,UpdateItem,DeleteItem' ...

One --grant per row of the function in shared/engine/src/access.rs (key prefix = item actions).
"""
import argparse

p = argparse.ArgumentParser()
p.add_argument("crate")
p.add_argument("description")
p.add_argument("--route", action="append", default=[], help="METHOD:/path")
p.add_argument("--sms", action="store_true", help="sends SMS (through the outbox queue): sqs:SendMessage + reserved concurrency")
p.add_argument("--email", action="store_true", help="sends email (through the outbox queue): sqs:SendMessage")
p.add_argument("--memory", type=int, default=0, help="MemorySize (512 for argon2id steps)")
p.add_argument("--grant", action="append", default=[], help="PREFIX#=Action[,Action] (shared::access row)")
p.add_argument("--flow-secret", action="store_true", help="reads the flow secret (shared::access::FLOW_SECRET_READERS): FLOW_SECRET_ARN + FlowSecretReadPolicy")
p.add_argument("--reserved", default="SmsStepReservedConcurrency", help="parameter of the SMS step's reserved concurrency")
a = p.parse_args()

name = "".join(w.capitalize() for w in a.crate.split("-"))
policies = []
if a.sms or a.email:
    # Steps post their messages to the outbox; only send-messages has sns:Publish / ses:SendEmail.
    policies.append("        - !Ref OutboxPostPolicy")
if a.flow_secret:
    policies.append("        - !Ref FlowSecretReadPolicy")
managed = "      ManagedPolicyArns:\n" + "\n".join(policies) + "\n" if policies else ""

# One statement per action listing every prefix of that action; actions with the same
# prefixes share one (as shared::access::statements). AWS authorises a BatchGetItem once
# with all its keys in dynamodb:LeadingKeys (ForAllValues): one statement must hold them all.
# The order of shared::access::Action (statements list actions in it).
ORDER = ["GetItem", "BatchGetItem", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem", "Query"]
by_action = {}
for g in a.grant:
    prefix, actions = g.split("=", 1)
    for x in actions.split(","):
        by_action.setdefault(ORDER.index(x.strip()), set()).add(prefix + "*")
groups = {}
for i in sorted(by_action):
    groups.setdefault(tuple(sorted(by_action[i])), []).append(i)
table = []
for keys_, acts_ in sorted(groups.items(), key=lambda kv: kv[1][0]):
    acts = ", ".join(f'"dynamodb:{ORDER[i]}"' for i in acts_)
    keys = ", ".join(f'"{k}"' for k in keys_)
    table.append(f"""              - Effect: Allow
                Action: [{acts}]
                Resource: !GetAtt Table.Arn
                Condition:
                  ForAllValues:StringLike:
                    dynamodb:LeadingKeys: [{keys}]""")
extra = []
if a.flow_secret:
    extra.append("""      Environment:
        Variables:
          FLOW_SECRET_ARN: !Ref FlowSecretValue  # its name, never its value (shared::secret)""")
if a.sms:
    extra.append(f"      ReservedConcurrentExecutions: !Ref {a.reserved}")
if a.memory:
    extra.append(f"      MemorySize: {a.memory}  # argon2id m=19 MiB hashing")
events = []
for r in a.route:
    method, path = r.split(":", 1)
    ev = method.capitalize() + "".join(w.capitalize() for w in path.replace("-", "/").replace(".", "/").split("/") if w)
    events.append(f"""        {ev}:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Method: {method}
            Path: {path}""")


def alarm(kind, threshold):
    return f"""  {name}{kind}Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: !Sub portale-${{Stage}}-{a.crate}-{kind.lower()}
      AlarmDescription: "{a.crate}: {kind} >= {threshold} in 5 minutes"
      Namespace: AWS/Lambda
      MetricName: {kind}
      Dimensions:
        - Name: FunctionName
          Value: !Ref {name}Function
      Statistic: Sum
      Period: 300
      EvaluationPeriods: 1
      Threshold: {threshold}
      ComparisonOperator: GreaterThanOrEqualToThreshold
      TreatMissingData: notBreaching
      AlarmActions: [!Ref AlarmTopic]
      OKActions: [!Ref AlarmTopic]
"""


nl = "\n"
print(f"""  # --- {a.crate} {'-' * max(3, 69 - len(a.crate))}
  {name}LogGroup:
    Type: AWS::Logs::LogGroup
    DeletionPolicy: Delete
    UpdateReplacePolicy: Delete
    Properties:
      LogGroupName: !Sub /aws/lambda/portale-${{Stage}}-{a.crate}
      RetentionInDays: !Ref LogRetentionDays

  {name}Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {{ Service: lambda.amazonaws.com }}
            Action: sts:AssumeRole
{managed}      Policies:
        - PolicyName: table
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              # = shared/engine/src/access.rs (checked by the test)
{nl.join(table)}
        - PolicyName: logs
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action:
                  - logs:CreateLogStream
                  - logs:PutLogEvents
                Resource: !GetAtt {name}LogGroup.Arn

  {name}Function:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties:
        Binary: {a.crate}
    Properties:
      FunctionName: !Sub portale-${{Stage}}-{a.crate}
      Description: "{a.description}"
      CodeUri: ../functions/{a.crate}
      Role: !GetAtt {name}Role.Arn
{nl.join(extra + [''])}      LoggingConfig:
        LogGroup: !Ref {name}LogGroup
      Events:
{nl.join(events)}

{alarm("Errors", 3)}
{alarm("Throttles", 1)}""")
