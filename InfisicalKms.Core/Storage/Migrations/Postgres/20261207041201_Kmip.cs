using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace InfisicalKms.Core.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Kmip : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "KmipAuthority",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false),
                    CertificateDer = table.Column<byte[]>(type: "bytea", nullable: false),
                    WrappedPrivateKey = table.Column<byte[]>(type: "bytea", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_KmipAuthority", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "KmipClients",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    ProjectId = table.Column<Guid>(type: "uuid", nullable: false),
                    OrganizationId = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Description = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    Permissions = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    RevokedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_KmipClients", x => x.Id);
                    table.ForeignKey(
                        name: "FK_KmipClients_Projects_ProjectId",
                        column: x => x.ProjectId,
                        principalTable: "Projects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "KmipCertificates",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    ClientId = table.Column<Guid>(type: "uuid", nullable: false),
                    SerialNumber = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Thumbprint = table.Column<byte[]>(type: "bytea", nullable: false),
                    NotBefore = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    NotAfter = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_KmipCertificates", x => x.Id);
                    table.ForeignKey(
                        name: "FK_KmipCertificates_KmipClients_ClientId",
                        column: x => x.ClientId,
                        principalTable: "KmipClients",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "KmipKeyStates",
                columns: table => new
                {
                    KeyId = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    State = table.Column<long>(type: "bigint", nullable: false),
                    UsageMask = table.Column<long>(type: "bigint", nullable: false),
                    ActivationDate = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    DeactivationDate = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CompromiseDate = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    RevocationReason = table.Column<long>(type: "bigint", nullable: true),
                    RevocationMessage = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    CreatedByClientId = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_KmipKeyStates", x => x.KeyId);
                    table.ForeignKey(
                        name: "FK_KmipKeyStates_Keys_KeyId",
                        column: x => x.KeyId,
                        principalTable: "Keys",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_KmipKeyStates_KmipClients_CreatedByClientId",
                        column: x => x.CreatedByClientId,
                        principalTable: "KmipClients",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateIndex(
                name: "IX_KmipCertificates_ClientId",
                table: "KmipCertificates",
                column: "ClientId");

            migrationBuilder.CreateIndex(
                name: "IX_KmipCertificates_Thumbprint",
                table: "KmipCertificates",
                column: "Thumbprint",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_KmipClients_ProjectId_Name",
                table: "KmipClients",
                columns: new[] { "ProjectId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_KmipKeyStates_CreatedByClientId",
                table: "KmipKeyStates",
                column: "CreatedByClientId");

            migrationBuilder.CreateIndex(
                name: "IX_KmipKeyStates_Name",
                table: "KmipKeyStates",
                column: "Name");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "KmipAuthority");

            migrationBuilder.DropTable(
                name: "KmipCertificates");

            migrationBuilder.DropTable(
                name: "KmipKeyStates");

            migrationBuilder.DropTable(
                name: "KmipClients");
        }
    }
}
