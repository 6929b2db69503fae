"""Names and places for demo households. Some names are outside Latin-1 on purpose ('Nguyễn',
'Łukasz'): PDFs, emails and exports must cope with them."""
from __future__ import annotations

import unicodedata

FEMALE_FIRST = (
    'Maria', 'Emma', 'Olivia', 'Ava', 'Sophia', 'Isabella', 'Mia', 'Charlotte', 'Amelia', 'Harper',
    'Evelyn', 'Abigail', 'Emily', 'Elizabeth', 'Sofía', 'Camila', 'Aria', 'Scarlett', 'Grace', 'Chloé',
    'Zoë', 'Lily', 'Hannah', 'Nora', 'Layla', 'Aaliyah', 'Priya', 'Ananya', 'Mei', 'Yuki',
    'Linh', 'Thảo', 'Fatima', 'Amara', 'Chiamaka', 'Keisha', 'Jasmine', 'Rosa', 'Guadalupe', 'Ximena',
    'Małgorzata', 'Agnieszka', 'Ingrid', 'Siobhán', 'Aoife', 'Leilani', 'Ruth', 'Dorothy', 'Margaret',
    'Patricia', 'Linda', 'Barbara', 'Susan', 'Karen', 'Nancy', 'Donna', 'Michelle', 'Angela', 'Renée',
)
MALE_FIRST = (
    'James', 'Robert', 'John', 'Michael', 'David', 'William', 'Richard', 'Joseph', 'Thomas', 'Daniel',
    'Matthew', 'Anthony', 'Mark', 'Steven', 'Andrew', 'Joshua', 'Kevin', 'Brian', 'Liam', 'Noah',
    'Oliver', 'Elijah', 'Lucas', 'Mateo', 'José', 'Luis', 'Carlos', 'Diego', 'Santiago', 'Ángel',
    'Łukasz', 'Piotr', 'Øyvind', 'Bjørn', 'Søren', 'Jürgen', 'François', 'Raphaël', 'Arjun', 'Rohan',
    'Wei', 'Hiroshi', 'Minh', 'Đức', 'Omar', 'Ahmed', 'Kwame', 'Chinedu', 'Malik', 'DeShawn',
    'Tyrone', 'Ethan', 'Caleb', 'Isaiah', 'Gabriel', 'Samuel', 'Benjamin', 'Henry', 'Walter', 'Harold',
)
LAST_NAMES = (
    'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
    'Hernández', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin',
    'Lee', 'Pérez', 'Thompson', 'White', 'Harris', 'Sánchez', 'Clark', 'Ramírez', 'Lewis', 'Robinson',
    'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyễn', 'Trần', 'Lê',
    'Hill', 'Flores', 'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell', 'Mitchell',
    'Carter', 'Roberts', 'Patel', 'Shah', 'Kim', 'Park', 'Chen', 'Wang', 'Nakamura', 'Tanaka',
    "O'Brien", "O'Connor", 'McAllister', 'Kowalski', 'Wiśniewski', 'Dvořák', 'Novák', 'Müller', 'Schröder',
    'Ødegård', 'Johansson', 'Lindqvist', 'Okafor', 'Adeyemi', 'Mensah', 'Al-Sayed', 'Haddad', 'Çelik',
    'Yılmaz', 'Alvarez', 'Castillo', 'Morales', 'Ortiz', 'Reyes', 'Cruz', 'Gutiérrez', 'Washington',
    'Jefferson', 'Brooks', 'Bennett', 'Murphy', 'Cooper', 'Reed', 'Bailey', 'Bell', 'Kelly', 'Howard',
)
STREETS = (
    'Oak', 'Maple', 'Cedar', 'Pine', 'Elm', 'Walnut', 'Willow', 'Birch', 'Hickory', 'Sycamore',
    'Washington', 'Lincoln', 'Jefferson', 'Madison', 'Jackson', 'Franklin', 'Main', 'Church', 'Mill',
    'Park', 'Lake', 'Hill', 'River', 'Prairie', 'Meadow', 'Orchard', 'Sunset', 'Highland', 'Ridge',
    'Spring', 'Cherry', 'Chestnut', 'Dogwood', 'Magnolia', 'Cottonwood', 'Locust', 'Harrison', 'Grant',
)
STREET_SUFFIXES = ('St', 'Ave', 'Rd', 'Dr', 'Ln', 'Ct', 'Blvd', 'Way', 'Pl', 'Ter')
UNITS = ('Apt 1', 'Apt 2B', 'Apt 3C', 'Unit 4', 'Apt 12', 'Unit 205', '#7', 'Apt 310')
# (city, state, first three digits of the ZIP code)
CITIES = (
    ('Springfield', 'IL', '627'), ('Chatham', 'IL', '626'), ('Rochester', 'IL', '626'),
    ('Sherman', 'IL', '626'), ('Jacksonville', 'IL', '626'), ('Taylorville', 'IL', '625'),
    ('Lincoln', 'IL', '626'), ('Decatur', 'IL', '625'), ('Petersburg', 'IL', '626'),
    ('Auburn', 'IL', '626'), ('Pawnee', 'IL', '626'), ('Riverton', 'IL', '625'),
)
EMAIL_DOMAINS = ('example.com', 'example.org', 'example.net')
AREA_CODES = ('217', '217', '217', '309', '618', '312')

_FOLD = str.maketrans({'Ł': 'L', 'ł': 'l', 'Ø': 'O', 'ø': 'o', 'Đ': 'D', 'đ': 'd', 'ß': 'ss', 'Æ': 'AE',
                       'æ': 'ae', 'ı': 'i', "'": '', ' ': '', '-': ''})


def ascii_fold(name: str) -> str:
    """'Nguyễn' -> 'Nguyen', 'Łukasz' -> 'Lukasz', "O'Brien" -> 'OBrien': for email local parts."""
    decomposed = unicodedata.normalize('NFKD', name.translate(_FOLD))
    return ''.join(ch for ch in decomposed if ord(ch) < 128)
