"""Seeds a moto server for the AWS benchmark (scripts/bench-aws): buckets, IAM users and security groups in the
shapes the bot reads, with a known share of failures. Usage: bench-aws-seed.py ENDPOINT BUCKETS USERS GROUPS"""
import json
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3

endpoint, buckets, users, groups = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
session = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="AKIDSOC2BOTBENCH", aws_secret_access_key="bench")
s3, iam, ec2 = boto3.client("s3", **session), boto3.client("iam", **session), boto3.client("ec2", **session)


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


def group(i):
    sg = ec2.create_security_group(GroupName=f"bench-sg-{i:04d}", Description="bench")["GroupId"]
    world = i % 10 == 0
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0" if world else "10.0.0.0/8"}]},
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
    ])


with ThreadPoolExecutor(max_workers=8) as pool:
    for work, count in ((bucket, buckets), (user, users), (group, groups)):
        list(pool.map(work, range(count)))
print(f"seeded {buckets} buckets, {users} users, {groups} security groups")
