<?php
// This file is part of coursefed's companion plugin for Moodle - https://moodle.org/
//
// Moodle is free software: you can redistribute it and/or modify
// it under the terms of the GNU General Public License as published by
// the Free Software Foundation, either version 3 of the License, or
// (at your option) any later version.
//
// Moodle is distributed in the hope that it will be useful,
// but WITHOUT ANY WARRANTY; without even the implied warranty of
// MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
// GNU General Public License for more details.
//
// You should have received a copy of the GNU General Public License
// along with Moodle.  If not, see <https://www.gnu.org/licenses/>.

/**
 * French strings.
 *
 * @package    local_coursefed
 * @category   string
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

$string['archiveblocked'] = 'Les réglages de sécurité HTTP de Moodle bloquent le nœud coursefed à {$a->host} ({$a->reason}) : un administrateur du site autorise son hôte et son port (Administration du site > Généralités > Sécurité > Sécurité HTTP : liste des hôtes bloqués par cURL, ports autorisés par cURL).';
$string['archiveincomplete'] = 'La sauvegarde n\'a pas pu être téléchargée depuis le nœud coursefed : {$a->received} octets sur {$a->size} reçus en {$a->attempts} tentatives ({$a->reason}) ; rien n\'a été restauré. Le nœud réessaiera plus tard.';
$string['archivemismatch'] = 'La sauvegarde téléchargée depuis le nœud coursefed n\'est pas celle annoncée : {$a->size} octets d\'empreinte SHA-256 {$a->actual}, et non {$a->expected} ; elle a été supprimée et rien n\'a été restauré.';
$string['archiverefused'] = 'Le nœud coursefed à {$a->host} a refusé le téléchargement de la sauvegarde (HTTP {$a->status} : {$a->reason}) ; rien n\'a été restauré.';
$string['archivetoolarge'] = 'Le nœud coursefed a envoyé plus que les {$a} octets annoncés pour la sauvegarde ; le téléchargement a été arrêté et supprimé, et rien n\'a été restauré.';
$string['archiveunreachable'] = 'Le nœud coursefed à {$a->host} est injoignable pour télécharger la sauvegarde ({$a->reason}) : vérifiez que l\'adresse publique du nœud est joignable depuis ce site Moodle.';
$string['archiveunwritable'] = 'La sauvegarde n\'a pas pu être écrite dans {$a} : vérifiez l\'espace disque et les droits du dossier de données de Moodle.';
$string['backupfailed'] = 'La sauvegarde a échoué : {$a}';
$string['backupnotwritten'] = 'Moodle n\'a pas écrit le fichier de sauvegarde ; vérifiez l\'espace disque et les droits du répertoire de données.';
$string['cachedef_origins'] = 'Les réponses du nœud coursefed sur l\'origine des cours, pour l\'encadré de leur page';
$string['connection'] = 'Connexion au nœud';
$string['connectioncli'] = 'Le nœud exécute les scripts Moodle de ce site sur son propre hôte (pilote cli) : il n\'a besoin d\'aucun accès par services web.';
$string['connectionnone'] = 'Pas encore connecté : collez le code d\'enregistrement que l\'administrateur du nœud vous donne (sur la console du nœud, Sites Moodle, « Code d\'enregistrement » ; ou `coursefed moodle register CIBLE`).';
$string['connectionto'] = 'Connecté à {$a->institution} (@{$a->handle}), sur le nœud coursefed {$a->node}, comme son site Moodle « {$a->target} ». Les demandes des enseignants au nœud les nomment : le nœud agit pour chacun comme l\'un de ses enseignants.';
$string['coursefed:backup'] = 'Sauvegarder un cours sans données utilisateur pour coursefed';
$string['coursefed:import'] = 'Parcourir le réseau coursefed et en importer des cours';
$string['coursefed:probe'] = 'Lire la version du site et les plugins installés pour coursefed';
$string['coursefed:restore'] = 'Restaurer une sauvegarde coursefed sans données utilisateur';
$string['coursefed:share'] = 'Partager un cours sur le réseau coursefed';
$string['networkapplymerge'] = 'Appliquer (ajouter au cours)';
$string['networkapplyreplace'] = 'Appliquer (remplacer le contenu)';
$string['networkasnewcourse'] = 'Comme nouveau cours';
$string['networkbackupcontents'] = 'Contenu de la sauvegarde';
$string['networkbrowse'] = 'Parcourir le réseau';
$string['networkbrowseintro'] = 'Les cours partagés par les établissements et enseignants que suit le nœud coursefed de ce site. Importez-en un dans une catégorie ou un cours où vous pouvez restaurer.';
$string['networkchangedactivities'] = '{$a->module} : {$a->before} → {$a->after}';
$string['networkchangednothingknown'] = 'Une nouvelle sauvegarde du cours, avec les mêmes sections et activités.';
$string['networkchangedsections'] = 'Sections : {$a->before} → {$a->after}';
$string['networkchangedsize'] = 'Taille : {$a->before} → {$a->after}';
$string['networkchangedtitle'] = 'Nom du cours : {$a->before} → {$a->after}';
$string['networkchanges_activitiesadded'] = 'Activités ajoutées';
$string['networkchanges_activitiesmoved'] = 'Activités déplacées dans une autre section';
$string['networkchanges_activitiesremoved'] = 'Activités supprimées';
$string['networkchanges_activitiesrenamed'] = 'Activités renommées';
$string['networkchanges_backupsettings'] = 'Réglages de la sauvegarde modifiés';
$string['networkchanges_coursesettings'] = 'Réglages du cours modifiés';
$string['networkchanges_filesadded'] = 'Fichiers ajoutés';
$string['networkchanges_fileschanged'] = 'Fichiers modifiés';
$string['networkchanges_filesremoved'] = 'Fichiers supprimés';
$string['networkchanges_questions'] = 'Questions par type';
$string['networkchanges_sectionsadded'] = 'Sections ajoutées';
$string['networkchanges_sectionsmoved'] = 'Sections déplacées';
$string['networkchanges_sectionsremoved'] = 'Sections supprimées';
$string['networkchanges_sectionsrenamed'] = 'Sections renommées';
$string['networkchangesdetail'] = 'Voir tout ce qui a changé';
$string['networkchangesfromto'] = '{$a->before} → {$a->after}';
$string['networkchangesmatchedbynames'] = 'Les deux sauvegardes viennent de cours Moodle différents (le cours a été restauré ailleurs et partagé de là) : sections et activités sont appariées par nom et type, si bien qu\'une activité renommée apparaît supprimée puis ajoutée.';
$string['networkchangesnone'] = 'Rien n\'a changé entre ces révisions.';
$string['networkchangessection'] = 'section {$a}';
$string['networkchangestitle'] = 'Ce que la mise à jour change (révision {$a->from} → {$a->to})';
$string['networkchangesunavailable'] = 'Le nœud du réseau n\'a pas pu dire ce qui a changé : {$a}';
$string['networkcompatibility'] = 'Compatibilité avec ce site';
$string['networkcompatibilityok'] = 'Ce site peut restaurer fidèlement ce cours.';
$string['networkcompatibilityproblems'] = 'Ce site ne peut pas restaurer fidèlement ce cours :';
$string['networkcompatibilityunknown'] = 'Le nœud n\'a pas encore sondé ce site et ne peut pas dire si le cours s\'y restaure ; demandez à votre administrateur de le sonder.';
$string['networkcoursewithdrawn'] = 'Son éditeur a retiré ce cours du réseau : il ne peut plus être importé.';
$string['networkdismiss'] = 'Ignorer';
$string['networkfromnetwork'] = 'Venu du réseau :';
$string['networkfullname'] = 'Nom complet du nouveau cours';
$string['networkgotocourse'] = 'Aller au cours';
$string['networkimport'] = 'Importer';
$string['networkimportdone'] = 'Le cours a été importé.';
$string['networkimportprogress'] = 'Importation depuis le réseau';
$string['networkimportstate_failed'] = 'L\'importation a échoué.';
$string['networkimportstate_queued'] = 'L\'importation attend son tour… Cette page se met à jour d\'elle-même.';
$string['networkimportstate_refused'] = 'L\'importation a été refusée.';
$string['networkimportstate_running'] = 'Le cours est téléchargé et restauré… Cette page se met à jour d\'elle-même.';
$string['networkimportstate_succeeded'] = 'Importé.';
$string['networkimporttitle'] = 'Importer « {$a} »';
$string['networkintocategory'] = 'Dans la catégorie';
$string['networkintocourse'] = 'Dans le cours';
$string['networkintoexisting'] = 'Dans un cours existant';
$string['networklanguageslist'] = 'Langues : {$a}';
$string['networklicence'] = 'Licence';
$string['networklicenceunknown'] = 'Non précisée';
$string['networklineage'] = 'Filiation';
$string['networklineageancestor'] = '{$a->title}, révision {$a->revision}{$a->by} : licence {$a->licence}';
$string['networklineageby'] = ', par {$a}';
$string['networklineagecredited'] = '(d\'après le manifeste signé d\'un cours qui en dérive)';
$string['networklineageintro'] = 'Chaque cours que celui-ci adapte, sa source d\'abord, avec ses auteurs et sa licence :';
$string['networklineageunknown'] = '{$a} : inconnu du nœud du réseau (il n\'a ni ce cours ni sa description).';
$string['networkmadeonmoodle'] = 'fait sur Moodle {$a}';
$string['networkmodemerge'] = 'Ajouter son contenu au cours (fusion)';
$string['networkmodereplace'] = 'Remplacer le contenu du cours (ses participants restent)';
$string['networknocategorypermission'] = 'Moodle ne vous permet pas de créer et restaurer un cours dans la catégorie {$a} ; choisissez une catégorie de la liste.';
$string['networknocoursepermission'] = 'Moodle ne vous permet pas de restaurer dans le cours {$a} ; choisissez un cours de la liste.';
$string['networknodestinations'] = 'Moodle ne vous permet de restaurer dans aucune catégorie ni aucun cours de ce site : demandez à votre administrateur le droit de créer des cours dans une catégorie.';
$string['networkoriginwithdrawn'] = 'Son éditeur l\'a depuis retiré du réseau : aucune mise à jour ne viendra.';
$string['networkpublished'] = 'Publiée';
$string['networkreplaceconfirm'] = 'Remplacer le contenu du cours « {$a->course} » par « {$a->title} » ? Ses activités et ressources sont d\'abord supprimées ; ses participants restent inscrits.';
$string['networkreplacecontents'] = 'Remplacer le contenu';
$string['networkrequiredpluginslist'] = 'Plugins nécessaires : {$a}';
$string['networkrevision'] = 'Révision';
$string['networkrevisionn'] = 'révision {$a}';
$string['networkrevisions'] = 'Révisions';
$string['networksearchinstitution'] = 'Établissement (serveur)';
$string['networksearchnothing'] = 'Aucun cours ne correspond.';
$string['networksearchrestorable'] = 'Seulement les cours que ce site peut restaurer';
$string['networksearchresults'] = '{$a} cours';
$string['networksearchtag'] = 'Mot-clé';
$string['networksearchteacher'] = 'Enseignant';
$string['networksearchwords'] = 'Mots';
$string['networksectionsn'] = 'Sections : {$a}';
$string['networkshortname'] = 'Nom abrégé du nouveau cours (facultatif)';
$string['networkshortnamehint'] = 'Laissé vide, Moodle le tire du nom complet.';
$string['networkshortnametoolong'] = 'Le nom abrégé fait {$a->length} caractères ; celui d\'un cours Moodle en compte au plus {$a->max} : raccourcissez-le.';
$string['networktagslist'] = 'mots-clés : {$a}';
$string['networkupdateavailable'] = 'Mise à jour disponible (révision {$a->from} → {$a->to}) :';
$string['networkupdatedismissed'] = 'La mise à jour est ignorée ; une révision plus récente sera de nouveau proposée.';
$string['networkupdategone'] = 'Cette mise à jour n\'est plus celle proposée : regardez à nouveau l\'avis du cours.';
$string['networkupdatetitle'] = 'Mettre à jour « {$a} »';
$string['nodeaccessconfirm'] = 'Le nœud restaurera et sauvegardera des cours sur ce site par les services web. Cela active les services web et le protocole REST, crée (ou réutilise) l\'utilisateur « {$a->username} » avec le rôle de niveau site « {$a->role} » (sans accès aux données des utilisateurs), et envoie au nœud un jeton du service \'coursefed\' pour cet utilisateur, que le nœud vérifie en sondant ce site. Continuer ?';
$string['nodeaccessgive'] = 'Donner l\'accès au nœud';
$string['nodeaccessgiveagain'] = 'Donner à nouveau l\'accès au nœud';
$string['nodeaccessgiven'] = 'Le nœud a atteint ce site avec son nouveau jeton (Moodle {$a}) : il peut désormais y restaurer et y sauvegarder des cours.';
$string['nodeaccessno'] = 'Le nœud ne peut pas encore atteindre ce site par les services web.';
$string['nodeaccessyes'] = 'Le nœud a un jeton de services web pour ce site.';
$string['nodeanswertoolarge'] = 'une réponse de plus de {$a}';
$string['nodebadresponse'] = 'Le nœud coursefed a répondu quelque chose que ce plugin ne sait pas lire ({$a}) ; vérifiez l\'adresse du nœud dans le code d\'enregistrement, ou demandez à l\'administrateur du nœud.';
$string['nodeerror'] = 'Le nœud coursefed a refusé : {$a}';
$string['nodenotconfigured'] = 'Ce site n\'est pas encore relié à un nœud coursefed : un administrateur colle le code d\'enregistrement du nœud dans Administration du site > Plugins > Plugins locaux > coursefed.';
$string['nodeunreachable'] = 'Le nœud coursefed n\'a pas pu être joint ({$a}) ; réessayez plus tard, ou demandez à l\'administrateur du site de vérifier l\'adresse du nœud, son certificat et les hôtes bloqués par Moodle (Administration du site > Généralités > Sécurité > Sécurité HTTP).';
$string['notabackup'] = '{$a} n\'est pas une sauvegarde Moodle : elle ne peut pas être décompressée ou n\'a pas de moodle_backup.xml.';
$string['personaldata_activityuserdata'] = 'traces du travail d\'étudiants dans des activités';
$string['personaldata_badgesawarded'] = 'badges décernés';
$string['personaldata_comments'] = 'commentaires';
$string['personaldata_competencies'] = 'compétences d\'utilisateurs';
$string['personaldata_completion'] = 'états d\'achèvement';
$string['personaldata_enrolments'] = 'inscriptions';
$string['personaldata_gradehistory'] = 'entrées d\'historique des notes';
$string['personaldata_grades'] = 'notes';
$string['personaldata_groupmemberships'] = 'appartenances à des groupes';
$string['personaldata_logs'] = 'entrées de journal';
$string['personaldata_messages'] = 'messages';
$string['personaldata_ratings'] = 'évaluations';
$string['personaldata_roleassignments'] = 'attributions de rôles';
$string['personaldata_useraccounts'] = 'comptes utilisateur';
$string['personaldata_userfiles'] = 'fichiers dans les espaces personnels';
$string['pluginname'] = 'coursefed';
$string['precheckfailed'] = 'la vérification préalable de la restauration a trouvé des erreurs : {$a}';
$string['privacy:metadata:coursefed_node'] = 'Le nœud coursefed auquel ce site est enregistré : les demandes qu\'un utilisateur lui fait (partager ou retirer un cours, en importer ou en mettre à jour un) nomment cet utilisateur, et le nœud le garde comme l\'un de ses enseignants, dont le nom accompagne ce qu\'il partage.';
$string['privacy:metadata:coursefed_node:email'] = 'L\'adresse de courriel de l\'utilisateur, pour que les administrateurs du nœud reconnaissent l\'enseignant.';
$string['privacy:metadata:coursefed_node:fullname'] = 'Le nom complet de l\'utilisateur, affiché comme auteur de ce qu\'il partage.';
$string['privacy:metadata:coursefed_node:userid'] = 'L\'identifiant de l\'utilisateur sur ce site, que le nœud associe à son enseignant.';
$string['privacy:metadata:coursefed_node:username'] = 'Le nom d\'utilisateur, dont le nœud tire le nom de son enseignant.';
$string['registrationcode'] = 'Code d\'enregistrement';
$string['registrationcode_desc'] = 'Le code que l\'administrateur du nœud coursefed a émis pour ce site (il commence par coursefed-site:). À l\'enregistrement, le nœud est interrogé sur son identité ; laissez vide pour déconnecter le site.';
$string['registrationcodecut'] = 'il est tronqué ou altéré';
$string['registrationcodeinvalid'] = 'Ce n\'est pas un code d\'enregistrement coursefed : {$a}. Copiez le code entier affiché par la console du nœud ou par `coursefed moodle register`.';
$string['registrationcodenoprefix'] = 'il ne commence pas par « {$a} »';
$string['registrationcodeversion'] = 'il a été fait par un nœud coursefed plus récent que ce que lit ce plugin ; mettez le plugin à jour';
$string['restorefailed'] = 'La restauration a échoué : {$a}';
$string['servicemissing'] = 'Le service web « coursefed » n\'est pas installé ; lancez admin/cli/upgrade.php.';
$string['settinglocked'] = 'Remplacer le contenu d\'un cours demande que le réglage de restauration « {$a} » soit activé, pour que ses participants restent inscrits, mais il est verrouillé désactivé : déverrouillez-le (Administration du site > Cours > Sauvegardes > Réglages généraux de restauration) et donnez moodle/restore:configure à l\'utilisateur du nœud.';
$string['sharebutton'] = 'Partager';
$string['sharechanges'] = 'Partager les modifications';
$string['sharechangesheading'] = 'Partager les modifications en nouvelle révision';
$string['sharedby'] = 'Partagé par';
$string['sharederivedfrom'] = 'Ce cours vient du réseau : il est partagé comme dérivé de {$a->object} (révision {$a->revision}).';
$string['sharefailed'] = 'Le dernier partage n\'a pas abouti.';
$string['sharefailedpersonaldata'] = 'Le dernier partage a été refusé : la sauvegarde de ce cours contient des données personnelles, qui ne quittent jamais le site. Retirez-les du cours, puis partagez de nouveau.';
$string['sharefinding'] = '{$a->count} {$a->what} ({$a->where})';
$string['shareheading'] = 'Partager ce cours';
$string['sharejob_backingup'] = 'Moodle fait une sauvegarde du cours sans aucune donnée utilisateur…';
$string['sharejob_publishing'] = 'Le cours est publié sur le réseau…';
$string['sharejob_queued'] = 'Le partage attend de commencer…';
$string['sharejob_scanning'] = 'Le nœud vérifie que la sauvegarde ne contient pas de données personnelles…';
$string['sharelicense'] = 'Licence';
$string['sharelicensenone'] = 'Aucune indiquée';
$string['sharenetwork'] = 'Partager sur le réseau';
$string['sharerefreshes'] = 'Cette page se recharge d\'elle-même jusqu\'à la fin du partage.';
$string['sharestate_notshared'] = 'Ce cours n\'est pas partagé sur le réseau.';
$string['sharestate_shared'] = 'Partagé sur le réseau en révision {$a->revision}, le {$a->date}.';
$string['sharestate_withdrawn'] = 'Retiré du réseau le {$a}. Le partager de nouveau le publie comme un nouveau cours.';
$string['sharesummary'] = 'Résumé';
$string['sharesummary_help'] = 'Ce que les collègues d\'ailleurs lisent du cours dans leur catalogue : du texte brut, 20 000 caractères au plus.';
$string['sharetaginvalid'] = 'Le mot-clé « {$a->tag} » ne peut pas être utilisé : un mot-clé est fait de mots de lettres, chiffres, _ et -, séparés par une seule espace, {$a->max} caractères au plus.';
$string['sharetags'] = 'Mots-clés';
$string['sharetags_help'] = 'Séparés par des virgules, par exemple « chimie organique, travaux pratiques ». Un mot-clé est fait de mots de lettres, chiffres, _ et -.';
$string['sharetagstoomany'] = '{$a} mots-clés au plus.';
$string['sharetitle'] = 'Titre';
$string['shareviewonnode'] = 'Voir le cours sur le réseau';
$string['sharevisibility'] = 'Qui peut le voir';
$string['sharevisibility_followers'] = 'Abonnés seulement';
$string['sharevisibility_help'] = 'Public : tout le réseau. Abonnés seulement : les établissements et personnes que votre nœud a acceptés comme abonnés.';
$string['sharevisibility_private'] = 'Privé (ce nœud seulement)';
$string['sharevisibility_public'] = 'Public';
$string['sharewithdraw'] = 'Retirer du réseau';
$string['sharewithdrawconfirm'] = 'Retirer « {$a} » du réseau ? Les abonnés apprennent qu\'il n\'est plus là ; les copies déjà restaurées ailleurs restent.';
$string['sharewithdrawn'] = 'Le cours a été retiré du réseau.';
$string['taskdeleteoldbackups'] = 'Supprimer les sauvegardes coursefed de plus d\'un jour';
$string['userdatalocked'] = 'Le réglage du site « {$a} » est verrouillé activé, et coursefed ne transfère jamais de données utilisateur ; déverrouillez-le dans Administration du site > Cours > Sauvegardes.';
