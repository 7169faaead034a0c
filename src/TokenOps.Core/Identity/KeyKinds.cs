namespace TokenOps.Core.Identity;

/// <summary>The two kinds of key: a person's own, or an automation's (CI bot, nightly job), which should name an owner.</summary>
public static class KeyKinds
{
    public const string Person = "person";
    public const string Automation = "automation";

    public static bool IsValid(string? kind) => kind is Person or Automation;
}
