namespace TokenOps.Storage.Tests;

/// <summary>
/// Every shared suite (an abstract <c>*ConformanceTests</c> class) runs on every backend: SQLite and PostgreSQL
/// each have a concrete subclass (EF Core's ComplianceTestBase, without an ignore list: there is no exception yet).
/// </summary>
public sealed class ConformanceCoverageTests
{
    private static readonly string[] Backends = ["TokenOps.Storage.Tests.Sqlite", "TokenOps.Storage.Tests.Postgres"];

    [Fact]
    public void Every_conformance_suite_has_a_subclass_for_every_backend()
    {
        var types = typeof(ConformanceCoverageTests).Assembly.GetTypes();
        var suites = types.Where(t => t.IsAbstract && t.Name.EndsWith("ConformanceTests", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(suites);
        var missing =
            from suite in suites
            from backend in Backends
            where !types.Any(t => !t.IsAbstract && t.Namespace == backend && suite.IsAssignableFrom(t))
            select $"{suite.Name} has no concrete subclass in {backend}";
        Assert.Empty(missing);
    }
}
