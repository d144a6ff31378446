"""Seeds a moto server for the AWS benchmark (scripts/bench-aws): buckets, IAM users (with groups and policies),
security groups, RDS instances and KMS keys in the shapes the bot reads, with a known share of failures.
Usage: bench-aws-seed.py ENDPOINT BUCKETS USERS GROUPS [DATABASES KEYS]"""
import json
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3

endpoint, buckets, users, groups = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
databases = int(sys.argv[5]) if len(sys.argv) > 5 else 0
keys = int(sys.argv[6]) if len(sys.argv) > 6 else 0
session = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="AKIDSOC2BOTBENCH", aws_secret_access_key="bench")
s3, iam, ec2 = boto3.client("s3", **session), boto3.client("iam", **session), boto3.client("ec2", **session)
rds, kms = boto3.client("rds", **session), boto3.client("kms", **session)
ADMIN = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
READ = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
iam.create_group(GroupName="bench-admins")
iam.put_group_policy(GroupName="bench-admins", PolicyName="admin", PolicyDocument=ADMIN)
iam.create_group(GroupName="bench-readers")
reader = iam.create_policy(PolicyName="bench-read", PolicyDocument=READ)["Policy"]["Arn"]
iam.attach_group_policy(GroupName="bench-readers", PolicyArn=reader)


def bucket(i):
    name = f"bench-{i:05d}"
    s3.create_bucket(Bucket=name)
    if i % 10 == 0:
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
    elif i % 10 != 1:
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    if i % 20 == 0:
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"}]}))


def user(i):
    name = f"bench-user-{i:05d}"
    iam.create_user(UserName=name, Tags=[{"Key": "email", "Value": f"{name}@bench.example"}])
    if i % 2 == 0:
        iam.create_login_profile(UserName=name, Password=f"Bench-Password-{i}!")
        if i % 4 == 0:
            serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]["SerialNumber"]
            iam.enable_mfa_device(UserName=name, SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321")
    iam.create_access_key(UserName=name)
    iam.add_user_to_group(GroupName="bench-admins" if i % 50 == 0 else "bench-readers", UserName=name)
    if i % 25 == 0:
        iam.put_user_policy(UserName=name, PolicyName="own", PolicyDocument=READ)


def database(i):
    rds.create_db_instance(DBInstanceIdentifier=f"bench-db-{i:04d}", DBInstanceClass="db.t3.micro", Engine="postgres",
                           MasterUsername="app", MasterUserPassword="not-a-real-password-1", AllocatedStorage=20,
                           StorageEncrypted=i % 10 != 0, PubliclyAccessible=i % 20 == 0)


def key(i):
    created = kms.create_key(Description=f"bench-key-{i:04d}")["KeyMetadata"]["KeyId"]
    if i % 5 != 0:
        kms.enable_key_rotation(KeyId=created)


def group(i):
    sg = ec2.create_security_group(GroupName=f"bench-sg-{i:04d}", Description="bench")["GroupId"]
    world = i % 10 == 0
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0" if world else "10.0.0.0/8"}]},
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
    ])


# Security groups one at a time: moto's EC2 backend is not safe for concurrent CreateSecurityGroup (RuntimeError:
# dictionary changed size during iteration).
for work, count, threads in ((bucket, buckets, 8), (user, users, 8), (group, groups, 1), (database, databases, 8), (key, keys, 8)):
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(work, range(count)))
print(f"seeded {buckets} buckets, {users} users, {groups} security groups, {databases} RDS instances, {keys} KMS keys")
