import Postgres
import Testing

@Suite("Connection strings are redacted")
struct PostgresURLTests {
    @Test(arguments: [
        ("postgresql://bot:s3cret@db.example.com:5432/soc2bot", "postgresql://bot:***@db.example.com:5432/soc2bot"),
        ("postgres://bot:p%40ss@10.0.0.5/soc2bot?sslmode=verify-full", "postgres://bot:***@10.0.0.5/soc2bot?sslmode=verify-full"),
        ("postgresql://bot@db/soc2bot?password=s3cret&sslmode=require", "postgresql://bot@db/soc2bot?password=***&sslmode=require"),
        ("host=db user=bot password=s3cret dbname=soc2bot", "host=db user=bot password=*** dbname=soc2bot"),
        ("host=db password='s3 cr\\'et' dbname=soc2bot", "host=db password=*** dbname=soc2bot"),
        ("postgresql://bot@db/soc2bot", "postgresql://bot@db/soc2bot"),
    ])
    func passwordIsReplaced(target: String, expected: String) {
        let redacted = PostgresURL.redacted(target)
        #expect(redacted == expected)
        #expect(!redacted.contains("s3"))
    }
}
