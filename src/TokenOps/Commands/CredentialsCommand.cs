using System.CommandLine;
using System.Globalization;
using TokenOps.Core.Identity;

namespace TokenOps.Cli.Commands;

/// <summary>
/// `tokenops credentials create|list|revoke`: named admin credentials with scopes (read, keys, budgets, outcomes) for
/// the admin API, instead of handing everyone the shared admin token. Stored hashed; the secret is printed once.
/// </summary>
internal static class CredentialsCommand
{
    public static Command Create()
    {
        var name = new Option<string>("--name") { Description = "A name people recognise (who or what uses it: ops-bot, finance-export)", Required = true };
        var scopes = new Option<string>("--scopes") { Description = $"Comma-separated: {string.Join(", ", AdminScopes.All)} (a write scope does not imply read)", Required = true };
        var (data, config) = (CommonOptions.Data(), CommonOptions.Config());
        var create = new Command("create", "Create an admin credential; it is printed once, alone on the last line") { name, scopes, data, config };
        create.SetAction(parse =>
        {
            var who = parse.GetValue(name)!.Trim();
            if (who.Length is 0 or > 64 || who.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
                throw new CliException("--name: 1 to 64 characters, no spaces or control characters", 2);
            IReadOnlyList<string> granted;
            try { granted = AdminScopes.Parse(parse.GetValue(scopes)!); }
            catch (ArgumentException ex) { throw new CliException("--scopes: " + ex.Message, 2); }
            using var storage = CommonOptions.OpenStorage(parse.GetValue(data), parse.GetValue(config));
            try
            {
                var (credential, secret) = storage.AdminCredentials.Create(who, granted);
                Console.WriteLine($"Created admin credential {credential.Name} ({credential.Id}) with scopes {string.Join(", ", credential.Scopes)}. It is shown once:");
                Console.WriteLine(secret);
            }
            catch (InvalidOperationException ex)
            {
                throw new CliException(ex.Message, 2);
            }
            return 0;
        });

        var (listData, listConfig) = (CommonOptions.Data(), CommonOptions.Config());
        var list = new Command("list", "List admin credentials (never the secrets)") { listData, listConfig };
        list.SetAction(parse =>
        {
            using var storage = CommonOptions.OpenStorage(parse.GetValue(listData), parse.GetValue(listConfig));
            Console.WriteLine($"{"NAME",-32} {"SCOPES",-28} {"CREDENTIAL",-14} {"CREATED (UTC)",-17} STATUS");
            foreach (var c in storage.AdminCredentials.List())
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{c.Name,-32} {string.Join(",", c.Scopes),-28} {c.DisplayPrefix,-14} {c.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm} {(c.IsRevoked ? $"revoked {c.RevokedAt!.Value.UtcDateTime:yyyy-MM-dd HH:mm}" : "active")}"));
            return 0;
        });

        var revokeName = new Argument<string>("name") { Description = "The credential's name" };
        var (revokeData, revokeConfig) = (CommonOptions.Data(), CommonOptions.Config());
        var revoke = new Command("revoke", "Revoke an admin credential; a running gateway refuses it within 5 seconds") { revokeName, revokeData, revokeConfig };
        revoke.SetAction(parse =>
        {
            using var storage = CommonOptions.OpenStorage(parse.GetValue(revokeData), parse.GetValue(revokeConfig));
            var target = parse.GetValue(revokeName)!;
            if (!storage.AdminCredentials.Revoke(target)) throw new CliException($"no active admin credential named '{target}'");
            Console.WriteLine($"Revoked {target}.");
            return 0;
        });
        return new Command("credentials", "Named admin credentials with scopes (the shared admin token stays for bootstrapping)") { create, list, revoke };
    }
}
